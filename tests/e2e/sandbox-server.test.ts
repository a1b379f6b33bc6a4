import { expect } from "chai";
import * as net from "net";
import { serve, TestSandbox, recorded } from "./sandbox-support";

/** Sends raw bytes on a fresh connection and resolves with everything the server wrote before closing it. */
function rawExchange(port: number, write: (socket: net.Socket) => void): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1", () => write(socket));
        let received = "";
        socket.on("data", chunk => { received += chunk.toString("latin1"); });
        socket.on("close", () => resolve(received));
        socket.on("error", reject);
    });
}

describe("sandbox server under hostile clients", function () {
    this.timeout(30000);
    let sandbox: TestSandbox;
    let port: number;

    before(async () => {
        sandbox = await serve(() => [recorded("aws:s3/bucket:Bucket", "kept", { bucket: "kept" })], 1, { headersTimeoutMs: 400 });
        port = Number(new URL(sandbox.endpoint).port);
    });

    after(async () => {
        await sandbox?.close();
    });

    const stillServes = async () => {
        const response = await fetch(`${sandbox.endpoint}/`);
        expect(response.status).to.equal(200);
        expect(await response.text()).to.contain("<Name>kept</Name>");
    };

    it("survives a client that closes its connection mid-body and serves the next request", async () => {
        await rawExchange(port, socket => {
            socket.write("PUT /kept/partial HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nonly the first bytes", () => socket.destroy());
        });
        await stillServes();
        expect((await fetch(`${sandbox.endpoint}/kept/partial`)).status).to.equal(404);
    });

    it("answers a malformed percent escape in an S3 path with 400 InvalidURI", async () => {
        for (const path of ["/kept/%E0%A4%A", "/kept/%ZZ", "/%"]) {
            const response = await fetch(`${sandbox.endpoint}${path}`);
            expect(response.status, path).to.equal(400);
            expect(await response.text(), path).to.contain("<Code>InvalidURI</Code>");
        }
        await stillServes();
    });

    it("answers oversized headers with 400 RequestHeaderSectionTooLarge and serves the next request", async () => {
        const answer = await rawExchange(port, socket => socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Padding: ${"a".repeat(20000)}\r\n\r\n`));
        expect(answer).to.match(/^HTTP\/1\.1 400 /);
        expect(answer).to.contain("<Code>RequestHeaderSectionTooLarge</Code>");
        await stillServes();
    });

    it("closes the connection of a client that never finishes its headers, serving others meanwhile", async () => {
        const slow = rawExchange(port, socket => socket.write("GET / HTTP/1.1\r\nHost: x\r\n"));
        await stillServes();
        const answer = await slow;
        expect(answer).to.match(/^HTTP\/1\.1 400 /);
        expect(answer).to.contain("<Code>RequestTimeout</Code>");
        await stillServes();
    });
});
