#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to standard error, whole (the command line's own messages, not the logs).
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { break }
            offset += written
        }
    }
}

/// One line to standard error.
func printError(_ text: String) {
    writeStandardError(text + "\n")
}
