export { s3EventKey, s3EventRecord } from "./notifications";
export type { S3EventRecordFields } from "./notifications";
export { S3Service } from "./provider";
