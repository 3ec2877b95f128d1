import Crypto
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

// Multipart upload: CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload,
// ListParts and ListMultipartUploads, signed like every other request.
extension S3ObjectStore {
    public func createMultipartUpload(_ request: MultipartUploadRequest, logger: Logger) async throws -> String {
        let operation = "CreateMultipartUpload s3://\(configuration.bucket)/\(request.key)"
        let headers = try objectHeaders(
            key: request.key, contentType: request.contentType, contentEncoding: request.contentEncoding,
            metadata: request.metadata, extra: request.headers, operation: operation
        )
        let response = try await send(
            method: "POST", key: request.key, query: "uploads=", headers: headers, body: nil,
            payloadHash: SigV4Encoding.emptyPayloadSHA256, operation: operation, permission: "s3:PutObject", logger: logger
        )
        try response.check(operation: operation, permission: "s3:PutObject")
        guard let uploadID = XMLFields.firstValue(of: "UploadId", in: response.body), !uploadID.isEmpty else {
            throw S3Error(code: .invalidResponse, message: "\(operation): the answer has no UploadId", httpStatus: response.status, requestID: response.requestID)
        }
        return uploadID
    }

    /// Sends the part with `Content-MD5`, so the server rejects (BadDigest) a part damaged on the way,
    /// and with its SHA-256 signed.
    ///
    /// The request may take as long as sending the part at 256 KiB/s, at least the request timeout.
    public func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer, md5: [UInt8], logger: Logger) async throws -> String {
        let operation = "UploadPart \(partNumber) s3://\(configuration.bucket)/\(key)"
        let bytes = body.readableBytesView
        let headers = [("Content-MD5", Data(md5).base64EncodedString())]
        let response = try await send(
            method: "PUT", key: key, query: "partNumber=\(partNumber)&uploadId=\(SigV4Encoding.uriEncode(uploadID))",
            headers: headers, body: body, payloadHash: SigV4Encoding.hex(SHA256.hash(data: bytes)),
            operation: operation, permission: "s3:PutObject",
            timeout: max(configuration.requestTimeout, .seconds(Int64(bytes.count / (256 << 10)))), logger: logger
        )
        try response.check(operation: operation, permission: "s3:PutObject")
        guard let etag = response.etag, !etag.isEmpty else {
            throw S3Error(code: .invalidResponse, message: "\(operation): the answer has no ETag", httpStatus: response.status, requestID: response.requestID)
        }
        return etag
    }

    public func completeMultipartUpload(key: String, uploadID: String, parts: [UploadedPart], logger: Logger) async throws {
        let operation = "CompleteMultipartUpload s3://\(configuration.bucket)/\(key)"
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(XMLFields.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = ByteBuffer(string: xml)
        let response = try await send(
            method: "POST", key: key, query: "uploadId=\(SigV4Encoding.uriEncode(uploadID))",
            headers: [("Content-Type", "application/xml")], body: body,
            payloadHash: SigV4Encoding.hex(SHA256.hash(data: body.readableBytesView)),
            operation: operation, permission: "s3:PutObject", logger: logger
        )
        try response.check(operation: operation, permission: "s3:PutObject")
    }

    public func abortMultipartUpload(key: String, uploadID: String, logger: Logger) async throws {
        let operation = "AbortMultipartUpload s3://\(configuration.bucket)/\(key)"
        let response = try await send(
            method: "DELETE", key: key, query: "uploadId=\(SigV4Encoding.uriEncode(uploadID))", headers: [], body: nil,
            payloadHash: SigV4Encoding.emptyPayloadSHA256, operation: operation, permission: "s3:AbortMultipartUpload", logger: logger
        )
        if response.status == 404 { return }
        do {
            try response.check(operation: operation, permission: "s3:AbortMultipartUpload")
        } catch let error as S3Error where error.code == .noSuchUpload {
            return
        }
    }

    /// A part sent twice may be listed twice, or with its first ETag, by S3-compatible servers
    /// (SeaweedFS): callers treat the list as what the bucket may hold, not as the truth.
    public func listParts(key: String, uploadID: String, logger: Logger) async throws -> [UploadedPart]? {
        let operation = "ListParts s3://\(configuration.bucket)/\(key)"
        var parts: [UploadedPart] = []
        var marker = 0
        // At most 10,000 parts, 1,000 per page.
        for _ in 0..<11 {
            var query = "uploadId=\(SigV4Encoding.uriEncode(uploadID))"
            if marker > 0 { query = "part-number-marker=\(marker)&" + query }
            let response = try await send(
                method: "GET", key: key, query: query, headers: [], body: nil,
                payloadHash: SigV4Encoding.emptyPayloadSHA256, operation: operation, permission: "s3:ListMultipartUploadParts", logger: logger
            )
            do {
                try response.check(operation: operation, permission: "s3:ListMultipartUploadParts")
            } catch let error as S3Error where error.code == .noSuchUpload || (error.httpStatus == 404 && error.awsCode == nil) {
                return nil
            }
            for element in XMLFields.elements(named: "Part", in: response.body) {
                guard let number = XMLFields.firstValue(of: "PartNumber", in: element).flatMap({ Int($0) }),
                    let etag = XMLFields.firstValue(of: "ETag", in: element)
                else {
                    throw S3Error(code: .invalidResponse, message: "\(operation): a <Part> without PartNumber or ETag", requestID: response.requestID)
                }
                parts.append(UploadedPart(number: number, etag: etag))
            }
            guard XMLFields.firstValue(of: "IsTruncated", in: response.body) == "true",
                let next = XMLFields.firstValue(of: "NextPartNumberMarker", in: response.body).flatMap({ Int($0) }), next > marker
            else { break }
            marker = next
        }
        return parts
    }

    public func listMultipartUploads(key: String, logger: Logger) async throws -> [String] {
        try await listMultipartUploads(key: key, pageSize: nil, logger: logger)
    }

    /// `pageSize` (`max-uploads`, S3's default 1,000) is for tests of the paging.
    func listMultipartUploads(key: String, pageSize: Int?, logger: Logger) async throws -> [String] {
        let operation = "ListMultipartUploads s3://\(configuration.bucket)/\(key)"
        var uploadIDs: [String] = []
        var markers: (key: String, uploadID: String)?
        // 1,000 uploads per page; at most 100 pages.
        for _ in 0..<100 {
            // The bucket's URL with an empty key, and the key as the prefix.
            var query = "prefix=\(SigV4Encoding.uriEncode(key))&uploads="
            if let pageSize { query += "&max-uploads=\(pageSize)" }
            if let markers {
                query += "&key-marker=\(SigV4Encoding.uriEncode(markers.key))&upload-id-marker=\(SigV4Encoding.uriEncode(markers.uploadID))"
            }
            let response = try await send(
                method: "GET", key: "", query: query, headers: [], body: nil,
                payloadHash: SigV4Encoding.emptyPayloadSHA256, operation: operation, permission: "s3:ListBucketMultipartUploads", logger: logger
            )
            try response.check(operation: operation, permission: "s3:ListBucketMultipartUploads")
            let uploads = XMLFields.elements(named: "Upload", in: response.body).map {
                (key: XMLFields.firstValue(of: "Key", in: $0) ?? "", uploadID: XMLFields.firstValue(of: "UploadId", in: $0) ?? "")
            }
            uploadIDs += uploads.filter { $0.key == key && !$0.uploadID.isEmpty }.map(\.uploadID)
            // The next page starts after the markers S3 names, or (SeaweedFS leaves NextKeyMarker out)
            // after the last upload listed.
            func marker(_ name: String, _ fallback: String?) -> String? {
                let value = XMLFields.firstValue(of: name, in: response.body) ?? ""
                return value.isEmpty ? fallback : value
            }
            guard XMLFields.firstValue(of: "IsTruncated", in: response.body) == "true",
                let nextKey = marker("NextKeyMarker", uploads.last?.key),
                let nextUploadID = marker("NextUploadIdMarker", uploads.last?.uploadID),
                markers.map({ $0.key != nextKey || $0.uploadID != nextUploadID }) ?? true
            else { break }
            markers = (nextKey, nextUploadID)
        }
        return uploadIDs
    }
}

// The bucket itself: `check_bucket` and `auto_create_bucket`.
extension S3ObjectStore {
    public func bucketExists(logger: Logger) async throws -> Bool {
        let operation = "HeadBucket s3://\(configuration.bucket)"
        let response = try await send(
            method: "HEAD", key: "", headers: [], body: nil,
            payloadHash: SigV4Encoding.emptyPayloadSHA256, operation: operation, permission: "s3:ListBucket", logger: logger
        )
        if response.status == 404 { return false }
        try response.check(operation: operation, permission: "s3:ListBucket")
        return true
    }

    public func createBucket(logger: Logger) async throws {
        let operation = "CreateBucket s3://\(configuration.bucket)"
        var body: ByteBuffer?
        if configuration.region != "us-east-1" {
            body = ByteBuffer(string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(XMLFields.escape(configuration.region))</LocationConstraint></CreateBucketConfiguration>")
        }
        let response = try await send(
            method: "PUT", key: "", headers: body == nil ? [] : [("Content-Type", "application/xml")], body: body,
            payloadHash: body.map { SigV4Encoding.hex(SHA256.hash(data: $0.readableBytesView)) } ?? SigV4Encoding.emptyPayloadSHA256,
            operation: operation, permission: "s3:CreateBucket", logger: logger
        )
        do {
            try response.check(operation: operation, permission: "s3:CreateBucket")
        } catch let error as S3Error where error.awsCode == "BucketAlreadyOwnedByYou" {
            return
        }
    }
}
