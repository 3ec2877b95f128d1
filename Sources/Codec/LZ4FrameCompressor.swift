import CLZ4

/// The LZ4 frame format (not raw blocks), readable by the `lz4` command-line tool.
public final class LZ4FrameCompressor: StreamCompressor {
    private var context: OpaquePointer?
    private var preferences = LZ4F_preferences_t()
    private var started = false
    private var finished = false
    /// Input is fed to liblz4 in slices of this size so the bound of one call stays small.
    private static let slice = 256 * 1024
    /// liblz4 writes here first (sized for the worst case of one slice); the caller's array grows
    /// only by what was written.
    private let scratch: UnsafeMutableRawBufferPointer

    /// lz4's levels, as its command line has them: 1 and 2 the fast compressor (the default), 3 to 12
    /// the high-compression one (`lz4 -9` is level 9).
    public static let levels = 1...12

    public init(level: Int = 1) throws {
        guard Self.levels.contains(level) else {
            throw CompressionError(code: .invalidLevel, detail: "lz4 level \(level) is not in 1...12")
        }
        var context: OpaquePointer?
        let status = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(status) == 0, let context else {
            throw CompressionError(code: .lz4, detail: Self.errorName(status))
        }
        self.context = context
        // 4 MiB blocks, linked, with a content checksum so `lz4 -d` verifies what it reads.
        preferences.frameInfo.blockSizeID = LZ4F_max4MB
        preferences.frameInfo.blockMode = LZ4F_blockLinked
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.compressionLevel = Int32(level < 3 ? 0 : level)
        let bound = max(LZ4F_compressBound(Self.slice, &preferences), Int(LZ4F_HEADER_SIZE_MAX))
        scratch = .allocate(byteCount: bound, alignment: 16)
    }

    deinit {
        LZ4F_freeCompressionContext(context)
        scratch.deallocate()
    }

    public func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError(code: .finished, detail: "lz4") }
        try beginIfNeeded(into: &output)
        var offset = 0
        while offset < input.count {
            let count = min(Self.slice, input.count - offset)
            let slice = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + count)])
            try write(into: &output) { destination in
                LZ4F_compressUpdate(context, destination.baseAddress, destination.count, slice.baseAddress, count, nil)
            }
            offset += count
        }
    }

    public func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError(code: .finished, detail: "lz4") }
        try beginIfNeeded(into: &output)
        finished = true
        try write(into: &output) { destination in
            LZ4F_compressEnd(context, destination.baseAddress, destination.count, nil)
        }
    }

    private func beginIfNeeded(into output: inout [UInt8]) throws {
        guard !started else { return }
        started = true
        try write(into: &output) { destination in
            LZ4F_compressBegin(context, destination.baseAddress, destination.count, &preferences)
        }
    }

    private func write(into output: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) -> Int) throws {
        let written = body(scratch)
        if LZ4F_isError(written) != 0 {
            throw CompressionError(code: .lz4, detail: Self.errorName(written))
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<written]))
    }

    private static func errorName(_ code: Int) -> String {
        String(cString: LZ4F_getErrorName(code))
    }
}
