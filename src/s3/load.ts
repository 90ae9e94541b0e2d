/**
 * The S3 snapshot store is heavy (the AWS SDK): bundled apart as dist/charm-s3.mjs (scripts/build.ts marks
 * `../s3/object-store.js` external) and loaded only by the hooks and actions that talk to the bucket.
 */
export const loadS3SnapshotStore = () => import("../s3/object-store.js");
