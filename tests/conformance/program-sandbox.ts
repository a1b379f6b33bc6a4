import { DEFAULT_TIME_SCALE, RunningSandbox, startSandbox } from "../../sandbox/main";

let running: Promise<RunningSandbox> | undefined;

/** The whole program deployed into one sandbox, shared by every suite of this mocha process (synthesis loads index.ts once per process). */
export function programSandbox(): Promise<RunningSandbox> {
    running ??= startSandbox({ port: 0, functionOutput: "discard", timeScale: DEFAULT_TIME_SCALE });
    return running;
}

/** Closes the shared sandbox once all suites are done. */
export const mochaHooks = {
    async afterAll(): Promise<void> {
        await (await running)?.close();
    },
};
