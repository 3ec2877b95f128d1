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
    /// `<format>`; default json.
    public var format: FormatConfiguration = FormatConfiguration()
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
    ]

    init(validating element: ConfigElement, log: ProblemLog) {
        let reader = SectionReader(
            element, known: Self.parameters, sections: ["buffer", "format"] + Self.credentialSections, log: log
        )
        location = element.location
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
        if let value = reader.choice("store_as", StoreAs.self) { storeAs = value }
        compressionLevel = reader.integer("compression_level", in: 1...9)
        if let value = reader.string("s3_object_key_format") { objectKeyFormat = value }
        timeSliceFormat = reader.string("time_slice_format")
        endpoint = reader.read("s3_endpoint", expected: "an http or https URL", AssumeRoleConfiguration.httpURL)
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

        readCredentialSections(reader, log: log)
        if let section = reader.section("format") {
            format = FormatConfiguration(validating: section, log: log)
        } else {
            log.warn(
                .missingFormat, at: element.location, word: "<format>",
                "<match> @type s3 has no <format>: Fluentd would write out_file lines (time, tag, JSON), Sluice writes JSON lines; add <format> @type json </format> to say so"
            )
        }
        if let section = reader.section("buffer") {
            buffer = BufferConfiguration(validating: section, log: log)
        }
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
        // fluent-plugin-s3 silently takes the first of these in its own order; one source is clearer.
        var sources: [(word: String, location: ConfigLocation)] = []
        if let keyID = reader.parameter("aws_key_id") { sources.append(("aws_key_id", keyID.location)) }
        for name in Self.credentialSections.dropFirst() {
            if let section = reader.section(name) { sources.append(("<\(name)>", section.location)) }
        }
        if sources.count > 1 {
            let first = sources[0], second = sources[1]
            log.error(
                .conflictingSettings, at: second.location, word: second.word,
                "\(second.word) and \(first.word) (at \(first.location)) both give AWS credentials; keep one"
                    + " (<assume_role_credentials> may wrap either)"
            )
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
