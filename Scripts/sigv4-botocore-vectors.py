#!/usr/bin/env python3
"""Writes Fixtures/s3/botocore-vectors.json: the SigV4 headers botocore computes for S3 requests.

Sluice's SigV4 tests sign the same requests and compare the Authorization header with these.
Credentials and the clock are fixed, so the output is deterministic; rerun after a botocore
upgrade and diff:

    python3 Scripts/sigv4-botocore-vectors.py          # writes the fixture
    python3 Scripts/sigv4-botocore-vectors.py --check  # exits 1 if the fixture is stale

The URL of each request is built the way botocore's S3 serializer does (the key quoted with
safe='/~'), and is stored so the test also checks Sluice builds the same URL.
"""
import datetime
import hashlib
import base64
import json
import os
import sys
from urllib.parse import quote

import botocore
import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED_TIME = datetime.datetime(2024, 5, 17, 8, 30, 15, tzinfo=datetime.timezone.utc)
ACCESS_KEY = "AKIDSLUICEEXAMPLE"
SECRET_KEY = "sluice/Secret+Key/EXAMPLEKEYwJalrXUtnFEMI"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+sluice/token=="

botocore.auth.get_current_datetime = lambda *args, **kwargs: FIXED_TIME


class RecordingS3SigV4Auth(S3SigV4Auth):
    def string_to_sign(self, request, canonical_request):
        self.recorded_canonical_request = canonical_request
        result = super().string_to_sign(request, canonical_request)
        self.recorded_string_to_sign = result
        return result


def object_url(endpoint, bucket, key, path_style):
    scheme, host = endpoint.split("://", 1)
    path = "/" + quote(key, safe="/~")
    if path_style:
        return f"{scheme}://{host}/{bucket}{path}"
    return f"{scheme}://{bucket}.{host}{path}"


def vector(name, method, endpoint, bucket, key, region, body=b"", headers=(), query="",
           token=None, path_style=False):
    url = object_url(endpoint, bucket, key, path_style) + (("?" + query) if query else "")
    headers = list(headers)
    if method == "PUT":
        headers.append(("Content-MD5", base64.b64encode(hashlib.md5(body).digest()).decode()))
    request = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    auth = RecordingS3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), "s3", region)
    auth.add_auth(request)
    signed = {k: v for k, v in request.headers.items()
              if k.lower() in ("authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token")}
    return {
        "name": name,
        "method": method,
        "endpoint": endpoint,
        "bucket": bucket,
        "key": key,
        "path_style": path_style,
        "region": region,
        "query": query,
        "url": url,
        "headers": [[k, v] for k, v in headers],
        "body_base64": base64.b64encode(body).decode(),
        "payload_sha256": hashlib.sha256(body).hexdigest(),
        "session_token": token,
        "expected": {
            "authorization": signed["Authorization"],
            "x-amz-date": signed["X-Amz-Date"],
            "x-amz-content-sha256": signed["X-Amz-Content-SHA256"],
            "x-amz-security-token": signed.get("X-Amz-Security-Token"),
            "canonical_request": auth.recorded_canonical_request,
            "string_to_sign": auth.recorded_string_to_sign,
        },
    }


def vectors():
    aws = "https://s3.eu-west-1.amazonaws.com"
    chunk = b'{"host":"web-1","message":"GET /index.html 200"}\n' * 3
    return [
        vector("put-object-gzip-metadata", "PUT", aws, "sluice-logs", "logs/2024/05/17/web-1_0.json.gz", "eu-west-1",
               body=chunk, headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip"),
                                    ("x-amz-meta-sluice-chunk", "0f3a9c")]),
        vector("put-key-space-unicode-special", "PUT", aws, "sluice-logs",
               "logs/with space/ünïcödé/日本語/a+b=c&d;e,f@g$h'i(j)k!l*m~n%o.txt", "eu-west-1",
               body=b"special\n", headers=[("Content-Type", "text/plain")]),
        vector("put-key-dot-segments-not-normalised", "PUT", aws, "sluice-logs", "a//b/./c/../d", "eu-west-1",
               body=b"dots\n"),
        vector("put-session-token", "PUT", aws, "sluice-logs", "logs/token.json", "eu-west-1",
               body=b"{}\n", headers=[("Content-Type", "application/json")], token=SESSION_TOKEN),
        vector("upload-part-query", "PUT", aws, "sluice-logs", "logs/big.json.gz", "eu-west-1",
               body=b"part-one", query="partNumber=1&uploadId=" + quote("VXBsb2Fk/SUQ+ZXhhbXBsZQ==", safe="")),
        vector("head-object", "HEAD", aws, "sluice-logs", "logs/2024/05/17/web-1_0.json.gz", "eu-west-1"),
        vector("head-object-session-token", "HEAD", aws, "sluice-logs", "logs/x y.json", "eu-west-1", token=SESSION_TOKEN),
        vector("put-path-style-loopback-port", "PUT", "http://127.0.0.1:9000", "sluice-test", "logs/local.json", "us-east-1",
               body=b"local\n", headers=[("Content-Type", "application/json")], path_style=True),
        vector("put-empty-body-us-east-1", "PUT", "https://s3.us-east-1.amazonaws.com", "sluice-logs", "empty", "us-east-1"),
    ]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.path.join(root, "Fixtures", "s3", "botocore-vectors.json")
    document = {
        "generator": "Scripts/sigv4-botocore-vectors.py",
        "botocore_version": botocore.__version__,
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
        "date": FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vectors": vectors(),
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        with open(target, encoding="utf-8") as existing:
            old = json.load(existing)
        old.pop("botocore_version", None)
        new = json.loads(text)
        new.pop("botocore_version", None)
        if old != new:
            print(f"{target} differs from what botocore {botocore.__version__} computes; rerun without --check")
            return 1
        print(f"{target} matches botocore {botocore.__version__}")
        return 0
    with open(target, "w", encoding="utf-8") as output:
        output.write(text)
    print(f"wrote {len(document['vectors'])} vectors to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
