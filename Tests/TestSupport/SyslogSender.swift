import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Plain POSIX sockets to 127.0.0.1, independent of the code under test, for sending syslog.
public enum SyslogSender {
    /// Sends `payload` over one TCP connection and closes it.
    public static func sendTCP(port: Int, _ payload: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect to 127.0.0.1:\(port): errno \(errno)") }
        var offset = 0
        try payload.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let sent = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { throw TestFailure("send: errno \(errno)") }
                offset += sent
            }
        }
        shutdown(fd, Int32(SHUT_WR))
        // Wait for the receiver to close its side, so everything sent was read.
        var scratch = [UInt8](repeating: 0, count: 64)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = recv(fd, &scratch, scratch.count, 0)
    }

    /// Sends each message as one UDP datagram.
    public static func sendUDP(port: Int, _ messages: [[UInt8]]) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var address = loopback(port: port)
        for message in messages {
            let sent = message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            guard sent == message.count else { throw TestFailure("sendto: errno \(errno)") }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// Decompresses with the reference command-line tools (`gzip -dc`, `lz4 -dc`), not with Sluice's code.
public enum ReferenceDecompressor {
    public static func decompress(_ bytes: [UInt8], tool: String) throws -> [UInt8] {
        guard let executable = ChildProcess.find(tool) else { throw TestFailure("\(tool) is not installed") }
        let path = try PackagePaths.temporaryDirectory("decompress") + "/object"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("\(tool) -dc failed with \(process.terminationStatus)") }
        return Array(data)
    }

    /// The JSON objects of a JSON-lines document.
    public static func jsonLines(_ bytes: [UInt8]) throws -> [[String: Any]] {
        try bytes.split(separator: UInt8(ascii: "\n")).map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw TestFailure("not a JSON object: \(String(decoding: line, as: UTF8.self))")
            }
            return object
        }
    }
}
