export { LogsService } from "./provider";
