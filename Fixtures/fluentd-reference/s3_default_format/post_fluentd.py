import sys, os, boto3
out = sys.argv[1]
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:25500", aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
for o in s3.list_objects_v2(Bucket="fluentd-ref").get("Contents", []):
    p = os.path.join(out, "files", "fluentd-ref", o["Key"]); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(s3.get_object(Bucket="fluentd-ref", Key=o["Key"])["Body"].read())
