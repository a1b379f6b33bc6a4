/**
 * aws-sdk-client-mock stubs `send` on a client class's prototype, and suites that call `mockClient` in a
 * describe body hold that stub for the whole mocha run. Suites that talk to real endpoints (the sandbox's)
 * call this in `before` to use the real `send` of the given classes, and the returned function in `after`
 * to hand the stubs back to the suites that own them.
 */
export function useRealSdkClients(clientClasses: { prototype: object }[]): () => void {
    const stubbed = clientClasses
        .filter(clientClass => Object.prototype.hasOwnProperty.call(clientClass.prototype, "send"))
        .map(clientClass => ({ prototype: clientClass.prototype as Record<string, unknown>, send: (clientClass.prototype as Record<string, unknown>).send }));
    for (const { prototype } of stubbed) {
        // The own-property stub shadows the inherited smithy Client#send; without it the real one applies.
        delete prototype.send;
    }
    return () => {
        for (const { prototype, send } of stubbed) {
            prototype.send = send;
        }
    };
}
