import type * as http from "http";
import type { RecordedResource } from "./mock-cloud";
export interface SandboxLog { (event: { kind: "invoke" | "execution" | "http" | "event" | "error"; message: string }): void }
export interface FunctionRuntime {
  invoke(functionNameOrArn: string, payload: unknown): Promise<unknown>;  // rejects with the handler's error
  invokeAsync(functionNameOrArn: string, payload: unknown): void;
}
export interface SandboxContext { endpoint: string; region: string; accountId: string; resources: RecordedResource[]; functions: FunctionRuntime; log: SandboxLog }
export interface SandboxService { handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<boolean>; close?(): Promise<void> }
