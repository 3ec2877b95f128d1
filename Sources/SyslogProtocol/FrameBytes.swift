/// A thin view of the frame being parsed, with the few scanning helpers the
/// header grammars need. Indexing is unchecked in release builds (the parsers
/// check `count` themselves) and checked in debug builds and tests.
@usableFromInline
struct FrameBytes {
    @usableFromInline
    let base: UnsafeRawBufferPointer

    @inlinable
    init(_ base: UnsafeRawBufferPointer) {
        self.base = base
    }

    @inline(__always)
    var count: Int { base.count }

    @inline(__always)
    subscript(index: Int) -> UInt8 { base[index] }

    /// The first index in `from ..< end` holding `byte`, or nil.
    @inline(__always)
    func firstIndex(of byte: UInt8, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            if base[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// Whether the UTF-8 byte order mark (EF BB BF) starts at `index`.
    @inline(__always)
    func startsWithBOM(at index: Int) -> Bool {
        index + 3 <= base.count && base[index] == 0xEF && base[index + 1] == 0xBB && base[index + 2] == 0xBF
    }

    /// `range` without one trailing line end (`\r\n`, `\n` or `\r`), as Ruby's
    /// `String#chomp` which Fluentd applies to the message.
    @inline(__always)
    func chomped(_ range: Range<Int>) -> Range<Int> {
        var end = range.upperBound
        if end > range.lowerBound, base[end - 1] == UInt8(ascii: "\n") {
            end -= 1
            if end > range.lowerBound, base[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        } else if end > range.lowerBound, base[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return range.lowerBound..<end
    }
}

extension UInt8 {
    /// The value of an ASCII digit, or nil.
    @inline(__always)
    var asciiDigit: Int? {
        self &- UInt8(ascii: "0") < 10 ? Int(self &- UInt8(ascii: "0")) : nil
    }

    /// RFC 5424 PRINTUSASCII (%d33-126).
    @inline(__always)
    var isPrintableASCII: Bool { self &- 33 < 94 }
}
