export { SqsService } from "./provider";
export type { LocalQueue, MessageAttributeValue, PeekedMessage, ReceivedMessage } from "./queues";
