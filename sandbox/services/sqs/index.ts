export { SqsService } from "./provider";
export type { LocalQueue, MessageAttributeValue, ReceivedMessage } from "./queues";
