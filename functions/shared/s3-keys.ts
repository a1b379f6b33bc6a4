/** S3 event notifications URL-encode object keys with `+` for a space (EventBridge events do not); throws URIError on a malformed escape. */
export function decodeS3Key(encoded: string): string {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
}
