import Foundation
import Spool
import Synchronization

/// An in-memory file system that keeps, per file, what a power cut would leave (`durable`) apart from
/// what the process sees (`data`), and injects faults: a full disk, a write that stops half-way, a
/// failing sync that forgets its dirty pages (as Linux does), and crashes that keep a random, ordered
/// prefix of the unsynced writes, the last one possibly torn.
///
/// Creations, renames and removals are durable at once (a journaling file system with the directory
/// synced, which the buffer does).
public final class SimulatedFileSystem: SpoolFileSystem, @unchecked Sendable {
    struct Node: Sendable {
        var data: [UInt8] = []
        var durable: [UInt8] = []
        /// Writes since the last sync, in order: what a crash may or may not keep.
        var unsynced: [(offset: Int, bytes: [UInt8])] = []
    }

    /// Faults for the next operations; each fires once.
    public struct Faults: Sendable {
        public var noSpaceOnGrow = false
        /// The next write stops after this many bytes and fails.
        public var shortWrite: Int?
        public var failSync = false
        /// Every reservation fails until this is cleared: a full disk.
        public var diskFull = false

        public init() {}
    }

    /// Paths name inodes, so an open file survives a rename of its path, as on a real file system.
    private struct State {
        var paths: [String: Int] = [:]
        var nodes: [Int: Node] = [:]
        var nextInode = 1
        var faults = Faults()
    }

    private let state = Mutex(State())

    public init() {}

    public var faults: Faults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }

    func inode(_ path: String) -> Int? { state.withLock { $0.paths[path] } }
    func node(_ inode: Int) -> Node? { state.withLock { $0.nodes[inode] } }

    /// A power cut: every file keeps its durable bytes plus an ordered prefix of its unsynced writes,
    /// the last of them cut at a random length.
    public func crash(using random: inout some RandomNumberGenerator) {
        state.withLock { state in
            for (inode, var node) in state.nodes {
                var bytes = node.durable
                let kept = Int.random(in: 0...node.unsynced.count, using: &random)
                for (position, write) in node.unsynced.prefix(kept).enumerated() {
                    var piece = write.bytes
                    if position == kept - 1 { piece = Array(piece.prefix(Int.random(in: 0...piece.count, using: &random))) }
                    if bytes.count < write.offset + piece.count {
                        bytes += [UInt8](repeating: 0, count: write.offset + piece.count - bytes.count)
                    }
                    bytes.replaceSubrange(write.offset..<(write.offset + piece.count), with: piece)
                }
                if bytes.count < node.data.count {
                    // Reserved (zero-filled) space survives.
                    bytes += [UInt8](repeating: 0, count: node.data.count - bytes.count)
                }
                node = Node(data: bytes, durable: bytes, unsynced: [])
                state.nodes[inode] = node
            }
            state.faults = Faults()
        }
    }

    public func makeDirectory(_ path: String) throws {
        // Directories are implied by the paths in them.
    }

    public func list(_ directory: String) throws -> [String] {
        state.withLock { state in
            let prefix = directory + "/"
            return state.paths.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    public func rename(_ from: String, to: String) throws {
        try state.withLock { state in
            guard let inode = state.paths.removeValue(forKey: from) else {
                throw SpoolError(code: .io, detail: "rename: no such file", path: from)
            }
            if let replaced = state.paths[to] { state.nodes.removeValue(forKey: replaced) }
            state.paths[to] = inode
        }
    }

    public func remove(_ path: String) throws {
        state.withLock { state in
            if let inode = state.paths.removeValue(forKey: path) { state.nodes.removeValue(forKey: inode) }
        }
    }

    public func syncDirectory(_ path: String) throws {}

    public func create(_ path: String, capacity: Int) throws -> any SpoolFile {
        let inode = try state.withLock { state in
            guard state.paths[path] == nil else { throw SpoolError(code: .io, detail: "create: file exists", path: path) }
            let inode = state.nextInode
            state.nextInode += 1
            state.paths[path] = inode
            state.nodes[inode] = Node()
            return inode
        }
        return SimulatedFile(fileSystem: self, inode: inode, path: path, capacity: capacity)
    }

    public func open(_ path: String, writable: Bool, capacity: Int) throws -> any SpoolFile {
        guard let inode = inode(path), let node = node(inode) else { throw SpoolError(code: .io, detail: "open: no such file", path: path) }
        return SimulatedFile(fileSystem: self, inode: inode, path: path, capacity: max(capacity, node.data.count))
    }

    fileprivate func update<T>(_ inode: Int, _ body: (inout Node, inout Faults) throws -> T) throws -> T {
        try state.withLock { state in
            guard state.nodes[inode] != nil else { throw SpoolError(code: .io, detail: "file was removed") }
            return try body(&state.nodes[inode]!, &state.faults)
        }
    }
}

final class SimulatedFile: SpoolFile {
    let fileSystem: SimulatedFileSystem
    let inode: Int
    let path: String
    let capacity: Int

    init(fileSystem: SimulatedFileSystem, inode: Int, path: String, capacity: Int) {
        self.fileSystem = fileSystem
        self.inode = inode
        self.path = path
        self.capacity = capacity
    }

    var size: Int { fileSystem.node(inode)?.data.count ?? 0 }

    func grow(to size: Int) throws {
        try fileSystem.update(inode) { node, faults in
            if faults.noSpaceOnGrow || faults.diskFull {
                faults.noSpaceOnGrow = false
                throw SpoolError(code: .noSpace, detail: "reserve: no space left on device (injected)", path: path)
            }
            precondition(size <= capacity, "growing past capacity")
            if size > node.data.count {
                node.data += [UInt8](repeating: 0, count: size - node.data.count)
                node.durable += [UInt8](repeating: 0, count: max(0, size - node.durable.count))
            }
        }
    }

    func truncate(to size: Int) throws {
        try fileSystem.update(inode) { node, _ in
            node.data = Array(node.data.prefix(size))
            node.durable = Array(node.durable.prefix(size))
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        let bytes = Array(bytes)
        try fileSystem.update(inode) { node, faults in
            precondition(offset + bytes.count <= node.data.count, "write past the reserved end")
            var piece = bytes
            var failure: SpoolError?
            if let limit = faults.shortWrite {
                faults.shortWrite = nil
                piece = Array(bytes.prefix(limit))
                failure = SpoolError(code: .io, detail: "write: input/output error after \(limit) bytes (injected)", path: path)
            }
            node.data.replaceSubrange(offset..<(offset + piece.count), with: piece)
            node.unsynced.append((offset, piece))
            if let failure { throw failure }
        }
    }

    func read(_ count: Int, at offset: Int) throws -> [UInt8] {
        guard let node = fileSystem.node(inode) else { throw SpoolError(code: .io, detail: "file is gone", path: path) }
        guard offset < node.data.count else { return [] }
        return Array(node.data[offset..<min(node.data.count, offset + count)])
    }

    public func syncAll() throws {
        try sync()
    }

    func sync() throws {
        try fileSystem.update(inode) { node, faults in
            if faults.failSync {
                faults.failSync = false
                // As Linux after a failed writeback: the pages count as clean, their data is not on disk.
                node.unsynced = []
                throw SpoolError(code: .io, detail: "msync: input/output error (injected)", path: path)
            }
            // Only what was written since the last sync goes out: pages a failed sync dropped stay lost.
            for write in node.unsynced {
                node.durable.replaceSubrange(write.offset..<(write.offset + write.bytes.count), with: write.bytes)
            }
            node.unsynced = []
        }
    }

    func close() {}
}
