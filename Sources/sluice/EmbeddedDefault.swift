/// What `sluice run` runs without `--config`: syslog on UDP and TCP port 5140, objects written under
/// `./sluice-data/bucket/` with the key layout they would have in S3, so a first run needs no cloud account.
enum EmbeddedDefault {
    static let fileName = "<embedded default>"

    static let configuration = """
        # Sluice's embedded default. Print it with `sluice run --print-default-config`,
        # save it, and point s3_bucket/s3_region at a real bucket (removing local_directory) to ship to S3.
        <source>
          @type syslog
          port 5140
          bind 0.0.0.0
          tag system
          <transport udp>
          </transport>
        </source>
        <source>
          @type syslog
          port 5140
          bind 0.0.0.0
          tag system
          <transport tcp>
          </transport>
        </source>
        <match system.**>
          @type s3
          local_directory ./sluice-data
          s3_bucket bucket
          path syslog/
          store_as gzip
          <format>
            @type json
          </format>
          <buffer tag,time>
            @type file
            path ./sluice-data/buffer
            timekey 3600
            timekey_wait 60s
            timekey_use_utc true
            chunk_limit_size 256m
            flush_at_shutdown true
          </buffer>
        </match>

        """
}
