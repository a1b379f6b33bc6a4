// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node only has from 22 on; the project supports Node 20.
if (typeof (Promise as any).withResolvers !== "function") {
    (Promise as any).withResolvers = function withResolvers<T>() {
        let resolve!: (value: T) => void;
        let reject!: (reason: unknown) => void;
        const promise = new Promise<T>((resolvePromise, rejectPromise) => {
            resolve = resolvePromise;
            reject = rejectPromise;
        });
        return { promise, resolve, reject };
    };
}
