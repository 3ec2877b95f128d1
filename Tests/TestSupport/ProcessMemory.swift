import Foundation

/// Resident memory of a process, from `/proc/<pid>/status` (Linux), in KiB.
public struct ProcessMemory: Sendable, CustomStringConvertible {
    /// `VmRSS`: everything resident, file-backed pages (the binary, mapped segments) included.
    public var residentKiB: Int
    /// `RssAnon`: resident anonymous memory, the heap: what a client that costs memory grows.
    public var anonymousKiB: Int

    /// The memory of `pid` (this process when nil); nil when /proc cannot tell.
    public static func of(pid: Int32? = nil) -> ProcessMemory? {
        let path = "/proc/\(pid.map(String.init) ?? "self")/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ").compactMap { Int($0) }.first
        }
        guard let resident = field("VmRSS"), let anonymous = field("RssAnon") else { return nil }
        return ProcessMemory(residentKiB: resident, anonymousKiB: anonymous)
    }

    public var description: String { "VmRSS \(residentKiB / 1024) MiB, RssAnon \(anonymousKiB / 1024) MiB" }
}
