import AsyncHTTPClient
import NIOSSL
import Codec
import Foundation
import S3
import SluiceConfig
import Spool

/// Turns a validated `<match> @type s3` section into the output's settings and its object store.
enum OutputPlanning {
    static func settings(
        for s3: S3OutputConfiguration,
        index: Int,
        matchCount: Int,
        options: PipelineOptions,
        id: String? = nil
    ) throws -> S3OutputSettings {
        let buffer = s3.buffer
        let timekey = buffer.keysByTime ? Int64(buffer.timekey) : 0
        let utcOffset: Int64 =
            if let zone = buffer.timekeyZone { Int64(zone) }
            else if buffer.timekeyUseUTC || s3.utc { 0 }
            else { Int64(TimeZone.current.secondsFromGMT()) }
        let directory = try bufferDirectory(for: s3, index: index, matchCount: matchCount, options: options)
        let spool = SpoolConfiguration(
            directory: directory,
            timekey: timekey,
            timekeyWait: Int64(buffer.timekeyWait.components.seconds),
            timekeyUTCOffset: utcOffset,
            chunkLimitSize: buffer.chunkLimitSize,
            flushInterval: Int64(buffer.flushInterval.components.seconds),
            segmentSize: buffer.segmentSize,
            durability: durability(of: buffer)
        )
        guard let storeAs = StoreAs(rawValue: s3.storeAs.rawValue) else {
            throw PipelineError(code: .unsupported, detail: "\(s3.location): store_as \(s3.storeAs.rawValue)")
        }
        var template = ObjectKeyTemplate(
            format: s3.objectKeyFormat,
            path: s3.path,
            timeSliceFormat: s3.timeSliceFormat ?? ObjectKeyTemplate.timeSliceFormat(forTimekey: timekey),
            fileExtension: storeAs.fileExtension,
            hostname: options.hostname,
            utcOffset: utcOffset,
            hexRandomLength: s3.hexRandomLength
        )
        template.indexFormat = s3.indexFormat
        return S3OutputSettings(
            name: id ?? "match\(index)",
            byTag: buffer.chunkKeys.contains("tag"),
            spool: spool,
            keyTemplate: template,
            storeAs: storeAs,
            compressionLevel: s3.compressionLevel,
            flushAtShutdown: buffer.flushAtShutdown,
            totalLimitSize: buffer.totalLimitSize,
            overflowAction: buffer.overflowAction,
            checkBucket: s3.checkBucket && s3.localDirectory == nil,
            autoCreateBucket: s3.autoCreateBucket,
            checkObject: s3.checkObject,
            objectHeaders: objectHeaders(for: s3),
            partSize: s3.uploadPartSize,
            uploadConcurrency: s3.uploadConcurrency,
            flushThreadCount: s3.buffer.flushThreadCount,
            retry: RetryPolicy(
                kind: buffer.retryType == .periodic ? .periodic : .exponentialBackoff,
                initialWait: buffer.retryWait,
                maximumWait: buffer.retryMaxInterval ?? .seconds(300),
                maxRetries: buffer.retryForever ? nil : buffer.retryMaxTimes,
                timeout: buffer.retryForever ? nil : buffer.retryTimeout
            )
        )
    }

    /// out_file as an output whose bucket is the file system: the file names are its keys, relative
    /// to `/` for an absolute path, else to the working directory.
    static func fileOutput(_ file: FileOutputConfiguration) -> S3OutputConfiguration {
        let timekey = file.buffer.keysByTime ? Int64(file.buffer.timekey) : 0
        var template = file.pathTemplate(timeSliceFormat: ObjectKeyTemplate.timeSliceFormat(forTimekey: timekey))
        let absolute = template.hasPrefix("/")
        while template.hasPrefix("/") { template.removeFirst() }
        var s3 = S3OutputConfiguration(bucket: nil, location: file.location)
        s3.localDirectory = absolute ? "/" : FileManager.default.currentDirectoryPath
        s3.objectKeyFormat = template
        s3.storeAs = file.compression == .gzip ? .gzip : .text
        s3.checkBucket = false
        s3.checkObject = false
        s3.buffer = file.buffer
        s3.format = file.format
        s3.inject = file.inject
        s3.utc = file.buffer.timekeyUseUTC
        return s3
    }

    /// An HTTP client configuration for an output that sets `proxy_uri`, `ssl_verify_peer false`,
    /// `ssl_ca_bundle` or `ssl_ca_directory`; nil when the shared client serves it.
    static func httpConfiguration(for s3: S3OutputConfiguration) throws -> HTTPClient.Configuration? {
        guard s3.proxyURI != nil || !s3.sslVerifyPeer || s3.sslCABundle != nil || s3.sslCADirectory != nil else { return nil }
        var configuration = HTTPClient.Configuration()
        if let proxy = s3.proxyURI, let host = proxy.host {
            let port = proxy.port ?? (proxy.scheme == "https" ? 443 : 80)
            if let user = proxy.user {
                configuration.proxy = .server(host: host, port: port, authorization: .basic(username: user, password: proxy.password ?? ""))
            } else {
                configuration.proxy = .server(host: host, port: port)
            }
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if !s3.sslVerifyPeer { tls.certificateVerification = .none }
        if let bundle = s3.sslCABundle {
            guard FileManager.default.isReadableFile(atPath: bundle) else {
                throw PipelineError(code: .invalidSetting, detail: "\(s3.location): ssl_ca_bundle \(bundle) cannot be read")
            }
            tls.trustRoots = .file(bundle)
        } else if let directory = s3.sslCADirectory {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let certificates = files.sorted().flatMap { (try? NIOSSLCertificate.fromPEMFile(directory + "/" + $0)) ?? [] }
            guard !certificates.isEmpty else {
                throw PipelineError(code: .invalidSetting, detail: "\(s3.location): ssl_ca_directory \(directory) holds no PEM certificate")
            }
            tls.trustRoots = .certificates(certificates)
        }
        configuration.tlsConfiguration = tls
        return configuration
    }

    static func durability(of buffer: BufferConfiguration) -> DurabilityPolicy {
        switch buffer.syncPolicy {
        case .batch: .everyBatch
        case .interval: .interval(buffer.syncInterval)
        case .none: .operatingSystem
        }
    }

    /// out_s3's object headers: storage class, server-side encryption (AES256 or aws:kms with its key), ACL.
    static func objectHeaders(for s3: S3OutputConfiguration) -> [(String, String)] {
        var headers: [(String, String)] = []
        if s3.storageClass != "STANDARD" { headers.append(("x-amz-storage-class", s3.storageClass)) }
        if let encryption = s3.serverSideEncryption {
            headers.append(("x-amz-server-side-encryption", encryption))
            if let key = s3.sseKMSKeyID { headers.append(("x-amz-server-side-encryption-aws-kms-key-id", key)) }
        }
        if let acl = s3.acl { headers.append(("x-amz-acl", acl)) }
        for grant in s3.grants { headers.append((grant.name, grant.value)) }
        if let tagging = s3.tagging { headers.append(("x-amz-tagging", tagging)) }
        for field in s3.metadata {
            let name = field.name.lowercased().hasPrefix("x-amz-meta-") ? field.name.lowercased() : "x-amz-meta-" + field.name.lowercased()
            headers.append((name, field.value))
        }
        return headers
    }

    /// The buffer's directory: its `path`, or the override; memory buffers also spool to disk (under
    /// `./sluice-data/buffer/`), so memory stays flat however much is buffered.
    private static func bufferDirectory(
        for s3: S3OutputConfiguration,
        index: Int,
        matchCount: Int,
        options: PipelineOptions
    ) throws -> String {
        if let override = options.bufferPathOverride {
            return matchCount > 1 ? "\(override)/match\(index)" : override
        }
        if let path = s3.buffer.path { return path }
        return "./sluice-data/buffer/match\(index)"
    }

    static func objectStore(
        for s3: S3OutputConfiguration,
        options: PipelineOptions,
        httpClient: HTTPClient?,
        appends: Bool = false
    ) throws -> any ObjectStore {
        if let directory = s3.localDirectory {
            let bucketDirectory = s3.bucket.map { "\(directory)/\($0)" } ?? directory
            return LocalDirectoryObjectStore(root: bucketDirectory, appendIdentity: appends ? ChunkUpload.chunkIDMetadata : nil)
        }
        guard let httpClient, let bucket = s3.bucket else {
            throw PipelineError(code: .invalidSetting, detail: "\(s3.location): s3_bucket is required")
        }
        let environment = options.environment
        let endpoint = try AWSEndpoints.s3(configured: s3.endpoint?.absoluteString, region: s3.region, environment: environment)
        var credentials = try baseCredentials(for: s3, environment: environment, httpClient: httpClient)
        if let role = s3.assumeRole {
            let stsRegion = role.stsRegion ?? s3.region
            let stsEndpoint = try AWSEndpoints.sts(configured: role.stsEndpoint?.absoluteString, region: stsRegion, environment: environment)
            credentials = AssumeRoleCredentialProvider(
                base: credentials,
                roleARN: role.roleARN,
                sessionName: role.roleSessionName,
                durationSeconds: role.durationSeconds,
                externalID: role.externalID,
                policy: role.policy,
                stsEndpoint: stsEndpoint,
                region: stsRegion,
                httpClient: httpClient
            )
        }
        return S3ObjectStore(
            configuration: .init(bucket: bucket, region: s3.region, endpoint: endpoint, forcePathStyle: s3.forcePathStyle),
            credentials: credentials,
            httpClient: httpClient
        )
    }

    /// The credentials as fluent-plugin-s3 chooses them: static keys, or the one credential
    /// section given (validation allows at most one), else the AWS SDK for Ruby's default chain.
    static func baseCredentials(
        for s3: S3OutputConfiguration,
        environment: [String: String],
        httpClient: HTTPClient
    ) throws -> any AWSCredentialProvider {
        if let keyID = s3.awsKeyId, let secret = s3.awsSecretKey {
            return StaticCredentialProvider(accessKeyID: keyID, secretAccessKey: secret)
        }
        if let shared = s3.sharedCredentials {
            return SharedCredentialsProvider(path: shared.path, profileName: shared.profileName, environment: environment)
        }
        if let web = s3.webIdentity {
            let stsRegion = web.stsRegion ?? s3.region
            return WebIdentityCredentialProvider(
                roleARN: web.roleARN,
                sessionName: web.roleSessionName,
                tokenFile: web.webIdentityTokenFile,
                policy: web.policy,
                durationSeconds: web.durationSeconds,
                stsEndpoint: try AWSEndpoints.sts(configured: web.stsEndpoint?.absoluteString, region: stsRegion, environment: environment),
                region: stsRegion,
                httpClient: httpClient
            )
        }
        if let profile = s3.instanceProfile {
            // As fluent-plugin-s3: inside ECS the section means the task role.
            if ContainerCredentialProvider.isConfigured(environment: environment) {
                return ContainerCredentialProvider(
                    environment: environment, openTimeout: profile.httpOpenTimeout, readTimeout: profile.httpReadTimeout,
                    retries: profile.retries
                )
            }
            var imds = InstanceMetadataCredentialProvider.Configuration(
                endpoint: try InstanceMetadataCredentialProvider.Configuration.endpoint(
                    ipAddress: profile.ipAddress, port: profile.port, environment: environment
                )
            )
            imds.openTimeout = profile.httpOpenTimeout
            imds.readTimeout = profile.httpReadTimeout
            imds.retries = profile.retries
            return InstanceMetadataCredentialProvider(configuration: imds, environment: environment)
        }
        return try CredentialChain.standard(staticCredentials: nil, environment: environment, region: s3.region, httpClient: httpClient)
    }
}
