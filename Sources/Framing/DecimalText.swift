/// Non-negative numbers as ASCII decimal digits, written straight into a buffer: the counts and
/// transaction numbers of frame headers.
package enum DecimalText {
    /// How many digits `value` takes.
    @inline(__always)
    package static func digits(_ value: Int) -> Int {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// Writes `value` as its `digits` (from `digits(_:)`) digits at `offset`.
    @inline(__always)
    package static func write(_ value: Int, digits: Int, into output: UnsafeMutableRawBufferPointer, at offset: Int) {
        var rest = value
        var index = offset + digits - 1
        repeat {
            output[index] = UInt8(truncatingIfNeeded: 48 + rest % 10)
            rest /= 10
            index -= 1
        } while rest > 0
    }
}
