export { SnsService } from "./provider";
