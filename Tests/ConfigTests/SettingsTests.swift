import Testing

@testable import SluiceConfig

/// Defaults and the parameters each stage takes.
@Suite struct SettingsTests {
    @Test func sourceDefaults() throws {
        let configuration = try Support.parse("<source>\n  @type syslog\n  tag t\n</source>\n" + Support.nullMatch)
        let source = try #require(configuration.sources.first)
        #expect(source.port == 5140)
        #expect(source.bind == "0.0.0.0")
        #expect(source.transport == .udp)
        #expect(source.messageFormat == .auto)
        #expect(source.messageLengthLimit == 65536)
        #expect(source.frameType == .traditional)
        #expect(source.timezone == nil)
        #expect(source.emitUnmatchedLines == false)
        #expect(source.sourceAddressKey == nil)
        #expect(source.tls == nil)
        #expect(source.maxConnections == 4096)
        #expect(source.idleTimeout == .seconds(600))
    }

    @Test(arguments: [("max_connections 100\n  idle_timeout 5m", 100, Duration.seconds(300)), ("idle_timeout 0", 4096, .zero), ("idle_timeout 90", 4096, .seconds(90))])
    func connectionLimits(lines: String, maxConnections: Int, idleTimeout: Duration) throws {
        let configuration = try Support.parse(
            "<source>\n  @type syslog\n  tag t\n  \(lines)\n  <transport tcp>\n  </transport>\n</source>\n" + Support.nullMatch
        )
        let source = try #require(configuration.sources.first)
        #expect(source.maxConnections == maxConnections)
        #expect(source.idleTimeout == idleTimeout)
        #expect(configuration.warnings.isEmpty)
    }

    @Test func relpSourceDefaultsToTCPOnRsyslogsPort() throws {
        let configuration = try Support.parse("<source>\n  @type relp\n  tag r\n</source>\n" + Support.nullMatch)
        let source = try #require(configuration.sources.first)
        #expect(source.kind == .relp)
        #expect(source.port == 2514)
        #expect(source.transport == .tcp)
        #expect(source.messageLengthLimit == 65536)
        let tls = try Support.parse(
            "<source>\n  @type relp\n  tag r\n  port 20514\n<transport tls>\n  cert_path /c\n  private_key_path /k\n</transport>\n</source>\n"
                + Support.nullMatch
        )
        #expect(tls.sources.first?.transport == .tls)
        #expect(tls.sources.first?.port == 20514)
    }

    @Test(arguments: ["  protocol_type udp\n", "<transport udp>\n</transport>\n"])
    func relpOverUDPIsAnErrorNamingTheLine(_ line: String) {
        let problems = Support.problems("<source>\n  @type relp\n  tag r\n\(line)</source>\n" + Support.nullMatch)
        #expect(problems.count == 1)
        #expect(problems.first?.location.line == 4)
        #expect(problems.first?.message.contains("RELP runs over tcp or tls") == true)
    }

    @Test func resolveHostnameFalseContradictsSourceHostnameKey() {
        let problems = Support.problems(
            "<source>\n  @type syslog\n  tag t\n  source_hostname_key host_name\n  resolve_hostname false\n</source>\n" + Support.nullMatch
        )
        #expect(problems.map(\.location.line) == [5])
        #expect(problems.first?.message.contains("contradicts 'source_hostname_key'") == true)
        #expect(Support.problems("<source>\n  @type syslog\n  tag t\n  resolve_hostname true\n</source>\n" + Support.nullMatch).isEmpty)
    }

    @Test func sourceParameters() throws {
        let configuration = try Support.parse(
            """
            <source>
              @type syslog
              @id syslog_in
              port 0
              bind ::1
              tag  system
              message_format rfc5424
              message_length_limit 64k
              frame_type octet_count
              timezone +09:00
              emit_unmatched_lines true
              source_address_key source_ip
              source_hostname_key source_host
              severity_key severity
              facility_key facility
              priority_key priority
              client_subject_key tls_peer
              <transport tls>
                cert_path /etc/sluice/cert.pem
                private_key_path /etc/sluice/key.pem
                private_key_passphrase secret
                ca_path /etc/sluice/ca.pem
                client_cert_auth yes
                min_version TLS1_3
              </transport>
            </source>
            """ + "\n" + Support.nullMatch
        )
        let source = try #require(configuration.sources.first)
        #expect(source.id == "syslog_in")
        #expect(source.port == 0)
        #expect(source.bind == "::1")
        #expect(source.tag == "system")
        #expect(source.messageFormat == .rfc5424)
        #expect(source.messageLengthLimit == 65536)
        #expect(source.frameType == .octet_count)
        #expect(source.timezone == 32400)
        #expect(source.emitUnmatchedLines)
        #expect(source.sourceAddressKey == "source_ip")
        #expect(source.sourceHostnameKey == "source_host")
        #expect(source.severityKey == "severity")
        #expect(source.facilityKey == "facility")
        #expect(source.priorityKey == "priority")
        #expect(source.transport == .tls)
        #expect(source.tls?.certificatePath == "/etc/sluice/cert.pem")
        #expect(source.tls?.clientCertificateAuthentication == true)
        #expect(source.tls?.privateKeyPath == "/etc/sluice/key.pem")
        #expect(source.tls?.privateKeyPassphrase == "secret")
        #expect(source.tls?.caPath == "/etc/sluice/ca.pem")
        #expect(source.tls?.minimumVersion == .tls1_3)
        #expect(source.clientSubjectKey == "tls_peer")
    }

    @Test("<transport tls> defaults: TLS 1.2 at least, no client certificates, no subject key")
    func tlsDefaults() throws {
        let configuration = try Support.parse(
            "<source>\n  @type syslog\n  tag t\n  <transport tls>\n    cert_path c.pem\n    private_key_path k.pem\n  </transport>\n</source>\n"
                + Support.nullMatch
        )
        let source = try #require(configuration.sources.first)
        #expect(source.tls == SyslogSourceConfiguration.TLS(certificatePath: "c.pem", privateKeyPath: "k.pem"))
        #expect(source.tls?.minimumVersion == .tls1_2)
        #expect(source.clientSubjectKey == nil)
    }

    @Test("min_version takes Fluentd's spellings", arguments: [
        ("TLS1_1", SyslogSourceConfiguration.TLS.Version.tls1_1), ("TLS1_2", .tls1_2), ("TLS1_3", .tls1_3),
        ("TLSv1_1", .tls1_1), ("TLSv1_2", .tls1_2), ("TLSv1_3", .tls1_3),
    ])
    func tlsMinimumVersion(value: String, version: SyslogSourceConfiguration.TLS.Version) throws {
        let configuration = try Support.parse(
            "<source>\n  @type syslog\n  tag t\n  <transport tls>\n    cert_path c.pem\n    private_key_path k.pem\n"
                + "    min_version \(value)\n  </transport>\n</source>\n" + Support.nullMatch
        )
        #expect(configuration.sources.first?.tls?.minimumVersion == version)
    }

    @Test(arguments: [
        ("protocol_type tcp", SyslogSourceConfiguration.Transport.tcp),
        ("protocol_type udp", .udp),
        ("<transport tcp>\n</transport>", .tcp),
        ("<transport udp>\n</transport>", .udp),
        ("<transport>\n</transport>", .udp),
    ])
    func transports(line: String, transport: SyslogSourceConfiguration.Transport) throws {
        let configuration = try Support.parse(
            "<source>\n  @type syslog\n  tag t\n\(line)\n</source>\n" + Support.nullMatch
        )
        #expect(configuration.sources.first?.transport == transport)
    }

    @Test func messageFormatInParseSection() throws {
        let configuration = try Support.parse(
            "<source>\n  @type syslog\n  tag t\n  <parse>\n    @type syslog\n    message_format rfc3164\n  </parse>\n</source>\n"
                + Support.nullMatch
        )
        #expect(configuration.sources.first?.messageFormat == .rfc3164)
    }

    @Test func s3DefaultsWithoutBufferOrFormat() throws {
        let configuration = try Support.parse(Support.s3Match(""))
        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == "test-bucket")
        #expect(s3.region == "us-east-1")
        #expect(s3.path == "")
        #expect(s3.storeAs == .gzip)
        #expect(s3.compressionLevel == nil)
        #expect(s3.objectKeyFormat == "%{path}%{time_slice}_%{index}.%{file_extension}")
        #expect(s3.timeSliceFormat == nil)
        #expect(s3.endpoint == nil)
        #expect(s3.forcePathStyle == false)
        #expect(s3.assumeRole == nil)
        #expect(s3.storageClass == "STANDARD")
        #expect(s3.checkBucket && !s3.autoCreateBucket && s3.checkObject)
        #expect(s3.utc == false)
        #expect(s3.format.type == .out_file)  // fluent-plugin-s3's default
        // out_s3's buffer defaults: memory, keyed by time, one-day slices.
        #expect(s3.buffer.type == .memory)
        #expect(s3.buffer.chunkKeys == ["time"])
        #expect(s3.buffer.timekey == 86400)
        #expect(s3.buffer.chunkLimitSize == 8 << 20)
        #expect(s3.buffer.totalLimitSize == 512 << 20)
        #expect(s3.buffer.flushAtShutdown == true)
        #expect(s3.buffer.location == nil)
    }

    @Test func s3Parameters() throws {
        let configuration = try Support.parse(
            Support.s3Match(
                """
                  s3_region eu-central-1
                  path "logs/#{Socket.gethostname}/"
                  store_as lz4
                  compression_level 9
                  s3_object_key_format %{path}%{time_slice}_%{hex_random}.%{file_extension}
                  time_slice_format %Y/%m/%d/%H
                  s3_endpoint http://127.0.0.1:9000
                  force_path_style true
                  aws_key_id AKIDEXAMPLE
                  aws_sec_key secret
                  storage_class STANDARD_IA
                  acl bucket-owner-full-control
                  use_server_side_encryption aws:kms
                  ssekms_key_id key-1
                  check_bucket false
                  auto_create_bucket no
                  check_object false
                  utc true
                  @id s3_out
                  @log_level debug
                  <assume_role_credentials>
                    role_arn arn:aws:iam::1:role/r
                    role_session_name "#{ENV['BUCKET']}"
                    duration_seconds 900
                    external_id ext
                    sts_region us-west-2
                    sts_endpoint_url https://sts.example.com
                  </assume_role_credentials>
                """
            )
        )
        let s3 = try #require(configuration.firstS3)
        #expect(s3.region == "eu-central-1")
        #expect(s3.path == "logs/ip-172-31-92-150/")
        #expect(s3.storeAs == .lz4)
        #expect(s3.compressionLevel == 9)
        #expect(s3.objectKeyFormat == "%{path}%{time_slice}_%{hex_random}.%{file_extension}")
        #expect(s3.timeSliceFormat == "%Y/%m/%d/%H")
        #expect(s3.endpoint?.absoluteString == "http://127.0.0.1:9000")
        #expect(s3.forcePathStyle)
        #expect(s3.awsKeyId == "AKIDEXAMPLE")
        #expect(s3.awsSecretKey == "secret")
        #expect(s3.storageClass == "STANDARD_IA")
        #expect(s3.acl == "bucket-owner-full-control")
        #expect(s3.serverSideEncryption == "aws:kms")
        #expect(s3.sseKMSKeyID == "key-1")
        #expect(!s3.checkBucket && !s3.autoCreateBucket && !s3.checkObject)
        #expect(s3.utc)
        let role = try #require(s3.assumeRole)
        #expect(role.roleSessionName == "env-bucket")
        #expect(role.durationSeconds == 900)
        #expect(role.externalID == "ext")
        #expect(role.stsRegion == "us-west-2")
        #expect(role.stsEndpoint?.host == "sts.example.com")
    }

    @Test func localDirectoryMakesTheBucketOptional() throws {
        let configuration = try Support.parse(
            "<match **>\n  @type s3\n  local_directory /var/lib/sluice/objects\n</match>\n"
        )
        let s3 = try #require(configuration.firstS3)
        #expect(s3.bucket == nil)
        #expect(s3.localDirectory == "/var/lib/sluice/objects")
    }

    @Test func bufferParameters() throws {
        let configuration = try Support.parse(
            Support.s3Match(
                "",
                buffer: """
                    <buffer tag, time>
                      @type file
                      path /var/spool/sluice
                      timekey 1h
                      timekey_wait 10m
                      timekey_use_utc false
                      timekey_zone -0500
                      chunk_limit_size 64m
                      chunk_limit_records 100000
                      total_limit_size 10g
                      flush_at_shutdown true
                      flush_mode interval
                      flush_interval 30s
                      flush_thread_count 4
                      retry_type periodic
                      retry_wait 2s
                      retry_max_interval 5m
                      retry_max_times 17
                      retry_timeout 1d
                      retry_forever false
                      overflow_action drop_oldest_chunk
                      sync_policy batch
                      sync_interval 0.02
                      segment_size 16m
                    </buffer>

                    """
            )
        )
        let buffer = try #require(configuration.firstS3).buffer
        #expect(buffer.chunkKeys == ["tag", "time"])
        #expect(buffer.type == .file)
        #expect(buffer.path == "/var/spool/sluice")
        #expect(buffer.timekey == 3600)
        #expect(buffer.timekeyWait == .seconds(600))
        #expect(buffer.timekeyUseUTC == false)
        #expect(buffer.timekeyZone == -18000)
        #expect(buffer.chunkLimitSize == 64 << 20)
        #expect(buffer.chunkLimitRecords == 100_000)
        #expect(buffer.totalLimitSize == 10 << 30)
        #expect(buffer.flushAtShutdown)
        #expect(buffer.flushMode == .interval)
        #expect(buffer.flushInterval == .seconds(30))
        #expect(buffer.flushThreadCount == 4)
        #expect(buffer.retryType == .periodic)
        #expect(buffer.retryWait == .seconds(2))
        #expect(buffer.retryMaxInterval == .seconds(300))
        #expect(buffer.retryMaxTimes == 17)
        #expect(buffer.retryTimeout == .seconds(86400))
        #expect(buffer.retryForever == false)
        #expect(buffer.overflowAction == .drop_oldest_chunk)
        #expect(buffer.syncPolicy == .batch)
        #expect(buffer.syncInterval == .milliseconds(20))
        #expect(buffer.segmentSize == 16 << 20)
    }

    @Test func timeChunkKeyWithoutTimekeyTakesOutS3sDefault() throws {
        let configuration = try Support.parse(Support.s3Match("", buffer: "<buffer tag,time>\n</buffer>\n"))
        #expect(try #require(configuration.firstS3).buffer.timekey == 86400)
    }

    @Test(arguments: [("file", 256 << 20, 64 << 30, false), ("memory", 8 << 20, 512 << 20, true)])
    func bufferDefaultsByType(type: String, chunk: Int, total: Int, flushAtShutdown: Bool) throws {
        let configuration = try Support.parse(
            Support.s3Match("", buffer: "<buffer>\n  @type \(type)\n  path /tmp/b\n</buffer>\n")
        )
        let buffer = try #require(configuration.firstS3).buffer
        #expect(buffer.chunkKeys == [])
        #expect(buffer.chunkLimitSize == chunk)
        #expect(buffer.totalLimitSize == total)
        #expect(buffer.flushAtShutdown == flushAtShutdown)
        #expect(buffer.timekeyWait == .seconds(600))
        #expect(buffer.flushInterval == .seconds(60))
        #expect(buffer.retryTimeout == .seconds(72 * 3600))
        #expect(buffer.overflowAction == .throw_exception)
        #expect(buffer.syncPolicy == .interval)
        #expect(buffer.syncInterval == .milliseconds(100))
        #expect(buffer.segmentSize == 64 << 20)
    }

    @Test(arguments: [("", SystemConfiguration.LogLevel.info), ("<system>\n  log_level debug\n</system>\n", .debug)])
    func systemLogLevel(text: String, level: SystemConfiguration.LogLevel) throws {
        #expect(try Support.parse(text + Support.nullMatch).system.logLevel == level)
    }

    @Test(arguments: [("stdout", true), ("null", false)])
    func otherOutputs(type: String, isStdout: Bool) throws {
        let configuration = try Support.parse("<match **>\n  @type \(type)\n</match>\n")
        if case .stdout = configuration.matches[0].output { #expect(isStdout) } else { #expect(!isStdout) }
    }
}
