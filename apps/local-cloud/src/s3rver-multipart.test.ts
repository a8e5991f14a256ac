import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { completeMultipartLikeS3, multipartEtag } from "./s3rver-multipart";

describe("multipartEtag", () => {
  it("is S3's: MD5 of the parts' binary MD5s, then the number of parts", () => {
    const parts = ["part one", "part two"].map((p) => createHash("md5").update(p).digest("hex"));
    const expected = createHash("md5")
      .update(Buffer.concat(parts.map((p) => Buffer.from(p, "hex"))))
      .digest("hex");
    expect(multipartEtag(parts)).toBe(`${expected}-2`);
  });

  it("refuses a store that is not s3rver's FilesystemStore", () => {
    expect(() => completeMultipartLikeS3({})).toThrow(/not the FilesystemStore of s3rver 3\.7/);
  });
});
