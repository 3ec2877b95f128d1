import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - POSIX client sockets (loopback only)

public enum Loopback {
    public static func address(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    public static func connectTCP(port: Int, sendBuffer: Int? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        if var size = sendBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = address(port: port)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(status == 0, "connect to 127.0.0.1:\(port) failed: errno \(errno)")
        return fd
    }

    /// Blocking send of everything.
    public static func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            try #require(sent > 0, "send failed: errno \(errno)")
            offset += sent
        }
    }

    public static func udpSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        return fd
    }

    public static func sendDatagram(_ fd: Int32, _ bytes: [UInt8], port: Int) throws {
        var address = address(port: port)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { target in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, bytes.count, 0, target, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        try #require(sent == bytes.count, "sendto failed: errno \(errno)")
    }
}
