#if canImport(Glibc)
import Glibc
#endif

/// Writes all of `bytes` to `fd` (standard output or error), retrying short writes; gives up if the
/// stream is closed.
func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written <= 0 { break }
        offset += written
    }
}

/// Writes `text` to standard error (the command line's own messages, not the logs).
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: STDERR_FILENO) }
}

/// One line to standard error.
func printError(_ text: String) {
    writeStandardError(text + "\n")
}
