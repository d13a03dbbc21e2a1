"""Off-site, immutable storage on S3 with Object Lock, and retention that follows the schedule.

- ``client``: the bucket, reached through boto3's standard AWS chain (never config secrets);
- ``bucketcheck``: versioning and Object Lock must be on;
- ``objects`` / ``upload``: verified, locked, resumable, exactly-once uploads; prune policy;
- ``ledger``: what is stored (a hash-chained file under the archive) and upload journals;
- ``reads``: ranged GETs of pruned files (the fallback of ``warcrecords.archive_file``);
- ``remote_verify``: missing, extra and altered objects against the manifests;
- ``legalhold``: S3 legal holds following the archive's legal holds;
- ``restore``: a working archive from the bucket alone;
- ``retention`` / ``disposal`` / ``certificate``: the schedule, disposal and its certificate.
"""
