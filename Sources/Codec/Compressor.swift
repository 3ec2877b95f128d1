/// A streaming compressor: bytes go in as they are read from a chunk, compressed bytes come out,
/// so an object is never held uncompressed in memory.
///
/// Implementations keep C stream state, so they are classes used by one task at a time.
public protocol StreamCompressor: AnyObject {
    /// Compresses `input`, appending whatever output is ready to `output`.
    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws
    /// Flushes the stream and its trailer. The compressor cannot be used afterwards.
    func finish(into output: inout [UInt8]) throws
}

extension StreamCompressor {
    public func compress(_ input: [UInt8], into output: inout [UInt8]) throws {
        try input.withUnsafeBytes { (buffer) throws in
            try self.compress(buffer, into: &output)
        }
    }
}

/// How objects are stored: Fluentd's `store_as`.
public enum StoreAs: String, Sendable, CaseIterable {
    case gzip, lz4, json, text

    /// `%{file_extension}` in object keys, as Fluentd's out_s3 names them.
    public var fileExtension: String {
        switch self {
        case .gzip: "gz"
        case .lz4: "lz4"
        case .json: "json"
        case .text: "txt"
        }
    }

    /// The Content-Type Fluentd's out_s3 sends for each.
    public var contentType: String {
        switch self {
        case .gzip: "application/x-gzip"
        case .lz4: "application/x-lz4"
        case .json: "application/json"
        case .text: "text/plain"
        }
    }

    /// A new compressor, or nil when objects are stored as they are.
    public func makeCompressor(level: Int? = nil) throws -> (any StreamCompressor)? {
        switch self {
        case .gzip: try GzipCompressor(level: level ?? GzipCompressor.defaultLevel)
        case .lz4: try LZ4FrameCompressor(level: level ?? 1)
        case .json, .text: nil
        }
    }
}

public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let invalidLevel = Code("invalid compression level")
        public static let zlib = Code("zlib error")
        public static let lz4 = Code("lz4 error")
        public static let finished = Code("stream already finished")
    }

    public var code: Code
    public var detail: String

    public init(code: Code, detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code): \(detail)" }
}
