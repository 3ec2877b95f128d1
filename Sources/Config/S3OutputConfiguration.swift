import Foundation

/// `<match> @type s3`: fluent-plugin-s3's out_s3 parameters that Sluice implements.
public struct S3OutputConfiguration: Sendable, Hashable {
    /// `store_as`: the names only; Codec knows what each means (extension, content type, compressor).
    public enum StoreAs: String, Sendable, Hashable, CaseIterable {
        case gzip, lz4, json, text
    }

    /// `s3_bucket`: required unless `local_directory` is set.
    public var bucket: String?
    /// `s3_region`; default us-east-1.
    public var region: String = "us-east-1"
    /// `path`: the key prefix; default "".
    public var path: String = ""
    /// `store_as`; default gzip.
    public var storeAs: StoreAs = .gzip
    /// `compression_level` (Sluice): 1–9 for gzip and lz4; the codec's default when nil.
    public var compressionLevel: Int?
    /// `s3_object_key_format`.
    public var objectKeyFormat: String = "%{path}%{time_slice}_%{index}.%{file_extension}"
    /// `time_slice_format`; when nil it is derived from the buffer's timekey.
    public var timeSliceFormat: String?
    /// `s3_endpoint`.
    public var endpoint: URL?
    /// `force_path_style`; default false.
    public var forcePathStyle: Bool = false
    /// `aws_key_id` and `aws_sec_key`: both or neither.
    public var awsKeyId: String?
    public var awsSecretKey: String?
    /// `<assume_role_credentials>`: wraps the other source (keys, a section below, or the default chain).
    public var assumeRole: AssumeRoleConfiguration?
    /// `<shared_credentials>`, `<web_identity_credentials>`, `<instance_profile_credentials>`:
    /// at most one of them, and not with `aws_key_id`; none means the AWS SDK's default chain.
    public var sharedCredentials: SharedCredentialsConfiguration?
    public var webIdentity: WebIdentityConfiguration?
    public var instanceProfile: InstanceProfileConfiguration?
    /// `local_directory` (Sluice): write each object to `<local_directory>/<key>` instead of S3.
    public var localDirectory: String?
    /// `storage_class`; default STANDARD.
    public var storageClass: String = "STANDARD"
    /// `acl`: a canned ACL, when set.
    public var acl: String?
    /// `use_server_side_encryption`: AES256 or aws:kms, when set.
    public var serverSideEncryption: String?
    /// `ssekms_key_id`.
    public var sseKMSKeyID: String?
    /// `check_bucket`, `check_object`: default true, as out_s3.
    public var checkBucket: Bool = true
    public var checkObject: Bool = true
    /// `auto_create_bucket`: default false (out_s3 defaults to true), so that a mistyped bucket name
    /// is an error, not a new bucket.
    public var autoCreateBucket: Bool = false
    /// `upload_part_size` (Sluice): objects larger than this go up by multipart upload in parts of
    /// this size; default 16 MiB, 5 MiB to 5 GiB (S3's limits).
    public var uploadPartSize: Int = 16 << 20
    /// `upload_concurrency` (Sluice): parts of one object in flight at once; default 4.
    public var uploadConcurrency: Int = 4
    /// `utc`: format `%{time_slice}` in UTC; default false.
    public var utc: Bool = false
    /// `check_apikey_on_start`: a request with the credentials before the first upload; default true.
    public var checkAPIKeyOnStart: Bool = true
    /// `s3_metadata`: user metadata sent with every object, as `x-amz-meta-<name>` headers.
    public var metadata: [KeyValue] = []
    /// `compute_checksums`: nil follows the default (Sluice always sends a checksum of each body);
    /// false leaves the checksum out where S3 allows it.
    public var computeChecksums: Bool?
    /// `warn_for_delay`: log a warning when a chunk is uploaded this long after its slice ended.
    public var warnForDelay: Duration?
    /// `index_format`: how `%{index}` is written, `%d`, `%03d`, `%x`, `%X`; default `%d`.
    public var indexFormat: String = "%d"
    /// `hex_random_length`: the length of `%{hex_random}`, 1 to 16; default 4.
    public var hexRandomLength: Int = 4
    /// `proxy_uri`: an HTTP proxy that S3 and STS requests go through.
    public var proxyURI: URL?
    /// `ssl_verify_peer`: check S3's certificate; default true.
    public var sslVerifyPeer: Bool = true
    /// `ssl_ca_bundle`: a PEM file of the authorities S3's certificate is checked against, in place of the system's.
    public var sslCABundle: String?
    /// `ssl_ca_directory`: a directory of PEM files of such authorities.
    public var sslCADirectory: String?
    /// `tagging`: S3 object tags (`key1=value1&key2=value2`), as the `x-amz-tagging` header.
    public var tagging: String?
    /// `grant_full_control`, `grant_read`, `grant_read_acp`, `grant_write_acp`: S3 ACL grants, as headers.
    public var grants: [KeyValue] = []
    /// `<format>`; default out_file (`time<TAB>tag<TAB>json`), as fluent-plugin-s3.
    public var format: FormatConfiguration = FormatConfiguration()
    /// `<inject>`: fields added to each record before formatting.
    public var inject: InjectConfiguration?
    /// `<buffer>`; out_s3's defaults when absent.
    public var buffer: BufferConfiguration = BufferConfiguration()
    public var location: ConfigLocation

    public init(bucket: String?, location: ConfigLocation) {
        self.bucket = bucket
        self.location = location
    }

    static let storageClasses = [
        "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "EXPRESS_ONEZONE",
    ]
    static let cannedACLs = [
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control",
    ]
    static let encryptions = ["AES256", "aws:kms", "aws:kms:dsse"]

    static let parameters = [
        "@type", "@id", "@log_level", "s3_bucket", "s3_region", "path", "store_as", "compression_level",
        "s3_object_key_format", "time_slice_format", "s3_endpoint", "force_path_style", "aws_key_id",
        "aws_sec_key", "local_directory", "storage_class", "acl", "use_server_side_encryption", "ssekms_key_id",
        "check_bucket", "auto_create_bucket", "check_object", "utc", "upload_part_size", "upload_concurrency",
        "check_apikey_on_start", "s3_metadata", "compute_checksums", "warn_for_delay", "index_format",
        "hex_random_length", "proxy_uri", "ssl_verify_peer", "ssl_ca_bundle", "ssl_ca_directory", "tagging",
        "grant_full_control", "grant_read", "grant_read_acp", "grant_write_acp", "reduced_redundancy", "overwrite",
        "aws_profile", "aws_credential_process", "aws_iam_retries", "use_bundled_cert", "signature_version",
        "enable_transfer_acceleration", "enable_dual_stack", "sse_customer_algorithm", "sse_customer_key",
        "sse_customer_key_md5", "checksum_algorithm", "slow_flush_log_threshold",
    ]

    /// Parameters whose effect Sluice cannot give; leaving them out could misplace or expose data.
    static let refused: [(String, String)] = [
        ("aws_credential_process", "credentials from a process are not supported yet; give keys, a profile, or a credentials section"),
        ("sse_customer_algorithm", "server-side encryption with customer keys (SSE-C) is not supported; use use_server_side_encryption"),
        ("sse_customer_key", "server-side encryption with customer keys (SSE-C) is not supported; use use_server_side_encryption"),
        ("sse_customer_key_md5", "server-side encryption with customer keys (SSE-C) is not supported; use use_server_side_encryption"),
        ("enable_transfer_acceleration", "transfer acceleration endpoints are not supported; set s3_endpoint to the accelerate endpoint"),
        ("enable_dual_stack", "dual-stack endpoints are not supported; set s3_endpoint to the dual-stack endpoint"),
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(
            element, known: Self.parameters, sections: ["buffer", "format", "inject", "secondary"] + Self.credentialSections, log: log, multiple: ["bucket_lifecycle_rule"]
        )
        location = element.location
        if let secondary = reader.section("secondary") { OutputWarnings.secondary(secondary, log: log) }
        localDirectory = reader.string("local_directory")
        if localDirectory == nil {
            bucket = reader.required("s3_bucket")
        } else {
            bucket = reader.string("s3_bucket")
        }
        if let bucket, !Self.isBucketName(bucket) {
            reader.badValue(
                reader.parameter("s3_bucket")!,
                expected: "a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens"
            )
        }
        if let value = reader.string("s3_region") {
            if value.isEmpty { reader.badValue(reader.parameter("s3_region")!, expected: "a region") } else { region = value }
        }
        if let value = reader.string("path") { path = value }
        if reader.string("store_as") == "gzip_command" {
            // fluent-plugin-s3 pipes through the gzip command; the objects are the same gzip, made by zlib here.
            storeAs = .gzip
        } else if let value = reader.choice("store_as", StoreAs.self) {
            storeAs = value
        }
        compressionLevel = reader.integer("compression_level", in: 1...9)
        if let value = reader.string("s3_object_key_format") { objectKeyFormat = value }
        timeSliceFormat = reader.string("time_slice_format")
        if let parameter = reader.parameter("s3_endpoint"), !parameter.value.contains("://"), !parameter.value.isEmpty,
            let url = AssumeRoleConfiguration.httpURL("https://" + parameter.value)
        {
            // fluent-plugin-s3 before v1 took a bare host name here.
            endpoint = url
            log.warn(
                .compatibilityMapped, at: parameter.location, word: parameter.value,
                "s3_endpoint '\(parameter.value)' has no scheme: read as https://\(parameter.value), as older fluent-plugin-s3 did"
            )
        } else {
            endpoint = reader.read("s3_endpoint", expected: "an http or https URL", AssumeRoleConfiguration.httpURL)
        }
        if let value = reader.bool("force_path_style") { forcePathStyle = value }
        awsKeyId = reader.string("aws_key_id")
        awsSecretKey = reader.string("aws_sec_key")
        if (awsKeyId == nil) != (awsSecretKey == nil) {
            let missing = awsKeyId == nil ? "aws_key_id" : "aws_sec_key"
            log.error(
                .missingParameter, at: element.location, word: missing,
                "<match> sets one of aws_key_id and aws_sec_key; it needs '\(missing)' too"
            )
        }
        if let value = reader.oneOf("storage_class", Self.storageClasses) { storageClass = value }
        acl = reader.oneOf("acl", Self.cannedACLs)
        serverSideEncryption = reader.oneOf("use_server_side_encryption", Self.encryptions)
        sseKMSKeyID = reader.string("ssekms_key_id")
        if let value = reader.bool("check_bucket") { checkBucket = value }
        if let value = reader.bool("auto_create_bucket") { autoCreateBucket = value }
        if let value = reader.bool("check_object") { checkObject = value }
        if let value = reader.bool("utc") { utc = value }
        if let value = reader.size("upload_part_size", in: (5 << 20)...(5 << 30)) { uploadPartSize = value }
        if let value = reader.integer("upload_concurrency", in: 1...64) { uploadConcurrency = value }
        readFluentPluginS3Parameters(reader, log: log)

        readCredentialSections(reader, log: log)
        if let section = reader.section("format") {
            format = FormatConfiguration(validating: section, log: log)
        } else {
            format = FormatConfiguration(type: .out_file)
            log.warn(
                .missingFormat, at: element.location, word: "<format>",
                "<match> @type s3 has no <format>: objects hold out_file lines (time, tag, JSON), as Fluentd writes them; add <format> @type json </format> for JSON lines"
            )
        }
        if let section = reader.section("buffer") {
            buffer = BufferConfiguration(validating: section, log: log)
        }
        if let section = reader.section("inject") {
            inject = InjectConfiguration(validating: section, log: log)
        }
        for rule in element.elements where rule.name == "bucket_lifecycle_rule" {
            log.warn(
                .noEffect, at: rule.location, word: "bucket_lifecycle_rule",
                "<bucket_lifecycle_rule> is not applied: Sluice does not change the bucket's lifecycle (set it with your infrastructure tools)"
            )
        }
    }

    private mutating func readFluentPluginS3Parameters(_ reader: SectionReader, log: ProblemLog) {
        if let value = reader.bool("check_apikey_on_start") { checkAPIKeyOnStart = value }
        if let parameter = reader.parameter("s3_metadata") {
            if let pairs = ConfigValue.hash(parameter.value) {
                metadata = pairs.map { KeyValue(name: $0.name, value: $0.value) }
                if pairs.contains(where: { $0.value.contains("${") || $0.value.contains("%{") }) {
                    reader.badValue(parameter, expected: "metadata with plain values (placeholders in s3_metadata are not supported)")
                }
            } else {
                reader.badValue(parameter, expected: "a hash such as {\"owner\":\"security\"} or owner:security,team:soc")
            }
        }
        computeChecksums = reader.bool("compute_checksums")
        warnForDelay = reader.duration("warn_for_delay")
        if let parameter = reader.parameter("warn_for_delay") {
            log.warn(.noEffect, at: parameter.location, word: parameter.name, "'warn_for_delay' logs nothing yet; watch sluice_buffer_oldest_chunk_age_seconds instead")
        }
        if let value = reader.read("index_format", expected: "%d, %x or %X with an optional zero-padded width such as %03d", {
            Self.isIndexFormat($0) ? $0 : nil
        }) {
            indexFormat = value
        }
        if let value = reader.integer("hex_random_length", in: 1...16) { hexRandomLength = value }
        proxyURI = reader.read("proxy_uri", expected: "an http URL such as http://proxy.example:3128", AssumeRoleConfiguration.httpURL)
        if let value = reader.bool("ssl_verify_peer") { sslVerifyPeer = value }
        sslCABundle = reader.string("ssl_ca_bundle")
        sslCADirectory = reader.string("ssl_ca_directory")
        tagging = reader.string("tagging")
        for (name, header) in [
            ("grant_full_control", "x-amz-grant-full-control"), ("grant_read", "x-amz-grant-read"),
            ("grant_read_acp", "x-amz-grant-read-acp"), ("grant_write_acp", "x-amz-grant-write-acp"),
        ] {
            if let value = reader.string(name) { grants.append(KeyValue(name: header, value: value)) }
        }
        if reader.bool("reduced_redundancy") == true {
            if let storage = reader.parameter("storage_class"), storage.value != "REDUCED_REDUNDANCY" {
                log.error(
                    .conflictingSettings, at: storage.location, word: "storage_class",
                    "'reduced_redundancy true' and 'storage_class \(storage.value)' disagree; keep storage_class"
                )
            }
            storageClass = "REDUCED_REDUNDANCY"
        }
        if let value = reader.bool("overwrite"), value == false, reader.bool("check_object") == false {
            // Both off is fluent-plugin-s3's "keys may repeat" mode; Sluice's keys never repeat across chunks.
            _ = value
        }
        _ = reader.oneOf("signature_version", ["v4", "s3v4"])
        _ = reader.bool("use_bundled_cert")
        _ = reader.oneOf("checksum_algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
        _ = reader.integer("aws_iam_retries", in: 0...100)
        // Fluentd's output base logs a flush slower than this; Sluice's upload metrics carry the durations.
        _ = reader.duration("slow_flush_log_threshold")
        for (name, reason) in Self.refused {
            if let parameter = reader.parameter(name), !(parameter.value == "false" && name.hasPrefix("enable_")) {
                log.error(.unsupportedParameter, at: parameter.location, word: name, "'\(name)': \(reason)")
            }
        }
    }

    /// fluent-plugin-s3's `index_format` rule: `%[0[width]](d|x|X)`.
    static func isIndexFormat(_ text: String) -> Bool {
        guard text.hasPrefix("%"), let type = text.last, "dxX".contains(type) else { return false }
        let flags = text.dropFirst().dropLast()
        return flags.isEmpty || (flags.first == "0" && flags.allSatisfy(\.isASCIIDigit))
    }

    static let credentialSections = [
        "assume_role_credentials", "shared_credentials", "web_identity_credentials", "instance_profile_credentials",
    ]

    private mutating func readCredentialSections(_ reader: SectionReader, log: ProblemLog) {
        if let section = reader.section("assume_role_credentials") {
            assumeRole = AssumeRoleConfiguration(validating: section, log: log)
        }
        if let section = reader.section("shared_credentials") {
            sharedCredentials = SharedCredentialsConfiguration(validating: section, log: log)
        }
        if let section = reader.section("web_identity_credentials") {
            webIdentity = WebIdentityConfiguration(validating: section, log: log)
        }
        if let section = reader.section("instance_profile_credentials") {
            instanceProfile = InstanceProfileConfiguration(validating: section, log: log)
        }
        // fluent-plugin-s3 takes the first of these in its order: keys, aws_profile, web identity, instance
        // profile, shared file. The others are not used; say which.
        var sources: [(word: String, location: ConfigLocation)] = []
        if let keyID = reader.parameter("aws_key_id") { sources.append(("aws_key_id", keyID.location)) }
        if let profile = reader.parameter("aws_profile") { sources.append(("aws_profile", profile.location)) }
        for name in ["web_identity_credentials", "instance_profile_credentials", "shared_credentials"] {
            if let section = reader.section(name) { sources.append(("<\(name)>", section.location)) }
        }
        guard let used = sources.first else { return }
        for ignored in sources.dropFirst() {
            log.warn(
                .noEffect, at: ignored.location, word: ignored.word,
                "\(ignored.word) is not used: \(used.word) (at \(used.location)) gives the credentials first, as in fluent-plugin-s3"
            )
        }
        switch used.word {
        case "aws_key_id": sharedCredentials = nil; webIdentity = nil; instanceProfile = nil
        case "aws_profile": webIdentity = nil; instanceProfile = nil
            var profile = SharedCredentialsConfiguration(location: reader.parameter("aws_profile")!.location)
            profile.profileName = reader.string("aws_profile")
            sharedCredentials = profile
        case "<web_identity_credentials>": sharedCredentials = nil; instanceProfile = nil
        case "<instance_profile_credentials>": sharedCredentials = nil
        default: break
        }
    }

    /// S3's rules for bucket names (the general-purpose ones).
    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.count)
            && name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }
            && name.first!.isASCII && (name.first!.isLowercase || name.first!.isNumber)
            && (name.last!.isLowercase || name.last!.isNumber)
            && !name.contains("..")
    }
}

/// A name and its value, in the order written (object metadata, headers).
public struct KeyValue: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
