import * as fs from "fs";
import * as path from "path";
import { RUNTIME_PROVIDED_SCOPES } from "../functions/shared/runtime-provided";
import type { PlainArchive } from "./synth";


/**
 * Writes an archive into `targetDir` as Lambda would unpack it. Only the runtime-provided scopes are linked in
 * from the project, so a package missing from the archive fails to load here too.
 */
export function materializeArchive(projectDir: string, archive: PlainArchive, targetDir: string): string {
    fs.rmSync(targetDir, { recursive: true, force: true });
    fs.mkdirSync(targetDir, { recursive: true });
    for (const [file, entry] of Object.entries(archive)) {
        const destination = path.join(targetDir, file);
        fs.mkdirSync(path.dirname(destination), { recursive: true });
        if ("text" in entry) {
            fs.writeFileSync(destination, entry.text);
        } else {
            fs.cpSync(path.join(projectDir, entry.path), destination, { recursive: true });
        }
    }
    for (const scope of RUNTIME_PROVIDED_SCOPES.filter(name => fs.existsSync(path.join(projectDir, "node_modules", name)))) {
        const linked = path.join(targetDir, "node_modules", scope);
        fs.mkdirSync(path.dirname(linked), { recursive: true });
        fs.symlinkSync(path.join(projectDir, "node_modules", scope), linked, "dir");
    }
    return targetDir;
}

function sizeOf(target: string): number {
    const stat = fs.statSync(target);
    if (!stat.isDirectory()) {
        return stat.size;
    }
    return fs.readdirSync(target).reduce((total, child) => total + sizeOf(path.join(target, child)), 0);
}

/** Uncompressed bytes of every file in the archive (runtime-provided scopes are never in it). */
export function archiveSize(projectDir: string, archive: PlainArchive): number {
    return Object.values(archive).reduce(
        (total, entry) => total + ("text" in entry ? Buffer.byteLength(entry.text) : sizeOf(path.join(projectDir, entry.path))), 0);
}
