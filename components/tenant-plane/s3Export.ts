/** The purge export sink in the Lambda: objects in the stack's tenant-export bucket, encrypted by its default key. */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { S3ExportSink } from "./purge";

export function s3ExportSink(s3: S3Client, bucket: string): S3ExportSink {
  return {
    location: (prefix) => `s3://${bucket}/${prefix}`,
    put: async (key, body, contentType) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
  };
}
