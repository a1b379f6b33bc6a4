import * as fs from "fs";
import * as path from "path";
import { Browser, chromium } from "playwright-core";

/** Debian's Chromium (`apt-get install chromium`); .ci/run installs it. */
export const CHROMIUM = "/usr/bin/chromium";
export const RESULTS_DIR = path.resolve(__dirname, "../../test-results");

/** Headless Chromium driven by playwright-core; a missing browser fails the suite with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
    if (!fs.existsSync(CHROMIUM)) {
        throw new Error(`${CHROMIUM} is missing: install Debian's Chromium with \`apt-get install -y chromium\` (the console tests never skip)`);
    }
    return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

/** A page screenshot under test-results/ (gitignored); returns its path. */
export async function screenshot(page: import("playwright-core").Page, name: string): Promise<string> {
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, name);
    await page.screenshot({ path: file, fullPage: true });
    return file;
}
