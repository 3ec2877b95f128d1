#if canImport(Glibc)
import Glibc
#endif

/// Datagrams the kernel dropped on a UDP socket because its receive buffer was full: the last column
/// of `/proc/net/udp` (and `udp6`), per socket. While the pipeline cannot take more (the buffer is
/// at `total_limit_size` with `overflow_action block`, or parsing falls behind), Sluice stops reading
/// and the kernel drops what no longer fits; this is how those drops are counted.
public enum UDPDrops {
    /// The drop count of the UDP socket bound to `port`, or nil when none is found (not Linux, say).
    public static func count(port: Int) -> Int? {
        var total: Int?
        for table in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = readFile(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                guard fields.count >= 13, let colon = fields[1].lastIndex(of: ":"),
                    Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port,
                    let drops = Int(fields[fields.count - 1])
                else { continue }
                total = (total ?? 0) + drops
            }
        }
        return total
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            bytes += chunk[0..<got]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
