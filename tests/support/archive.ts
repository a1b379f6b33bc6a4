import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { materializeArchive } from "../../sandbox/archive";
import type { PlainArchive } from "../../sandbox/synth";
import { PROJECT_DIR } from "./program";

/**
 * Unpacks an archive into a temp folder the way Lambda would and loads its handler: the code under
 * test is exactly the text Pulumi would upload. `@aws-sdk/*` resolves to the project's copy, so
 * aws-sdk-client-mock's prototype mocks apply to it.
 */
export function loadArchiveHandler<H = (event: any, context?: any) => Promise<any>>(archive: PlainArchive, environment: Record<string, string> = {}): H {
    Object.assign(process.env, environment);
    const dir = materializeArchive(PROJECT_DIR, archive, fs.mkdtempSync(path.join(os.tmpdir(), "archive-")));
    return require(path.join(dir, "__index.js")).handler as H;
}
