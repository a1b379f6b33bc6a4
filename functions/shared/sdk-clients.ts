/**
 * Calls through one SDK client per container until a call fails; after a failure the client is destroyed and the
 * next call gets a new one. Why: the SDK's AWS query serializer (@aws-sdk/core QueryShapeSerializer, used by SNS)
 * keeps the part of a body it wrote before throwing and prepends it to the next request, so one bad publish would
 * otherwise send its own message in place of the next invocation's.
 */
export function renewedAfterFailure<C extends { destroy(): void }>(create: () => C): <T>(call: (client: C) => Promise<T>) => Promise<T> {
    let client = create();
    return async call => {
        try {
            return await call(client);
        } catch (error) {
            client.destroy();
            client = create();
            throw error;
        }
    };
}
