import Foundation

/// A private rsyslogd for tests: its own configuration, pid file, work directory and input socket;
/// it never reads or writes the system's /dev/log. Messages go in with `logger -u <socket>` and out
/// by whatever forwarding line the test gives, e.g. the tutorial's `*.* @127.0.0.1:5140`.
public final class PrivateRsyslog: Sendable {
    public let directory: String
    public let socketPath: String
    private let child: ChildProcess

    /// Starts rsyslogd with `forwarding` (rsyslog configuration lines) after a private input socket.
    /// `global` lines go before the input: settings rsyslog takes only there, such as
    /// `global(DefaultNetstreamDriver="gtls" ...)` for forwarding over TLS.
    public init(global: String = "", forwarding: String) async throws {
        guard let rsyslogd = ChildProcess.find("rsyslogd") else {
            throw TestFailure("rsyslogd is not installed: apt-get install rsyslog")
        }
        directory = try PackagePaths.temporaryDirectory("rsyslog")
        socketPath = directory + "/log.sock"
        let configuration = """
            global(workDirectory="\(directory)")
            \(global)
            module(load="imuxsock" SysSock.Use="off")
            input(type="imuxsock" Socket="\(socketPath)" CreatePath="on")
            \(forwarding)

            """
        try configuration.write(toFile: directory + "/rsyslog.conf", atomically: true, encoding: .utf8)
        child = try ChildProcess(
            rsyslogd, ["-n", "-f", directory + "/rsyslog.conf", "-i", directory + "/rsyslogd.pid"],
            logPath: directory + "/rsyslogd.log"
        )
        let ready = await eventually(timeout: .seconds(15)) { FileManager.default.fileExists(atPath: socketPath) }
        guard ready else { throw TestFailure("rsyslogd did not create \(socketPath): \(child.output)") }
    }

    /// Sends one message through util-linux `logger` to this rsyslogd.
    public func log(_ message: String, tag: String, pid: Int? = nil, priority: String = "user.notice") throws {
        guard let logger = ChildProcess.find("logger") else { throw TestFailure("logger is not installed: apt-get install bsdutils") }
        // -S: logger cuts messages at 1 KiB unless told otherwise; rsyslog takes up to 8 KiB.
        var arguments = ["-u", socketPath, "-S", "8096", "-t", tag, "-p", priority]
        if let pid { arguments.append("--id=\(pid)") }
        arguments += ["--", message]
        let result = try ChildProcess.run(logger, arguments)
        guard result.status == 0 else { throw TestFailure("logger failed: \(result.output)") }
    }

    public func stop() async {
        child.signal(SIGTERM)
        _ = await child.waitForExit(timeout: .seconds(10))
    }
}
