import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import type { RecordedResource } from "../../sandbox/mock-cloud";
import { resourcePolicies, stackPolicies } from "../../policy/policies";

export type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** A minimal resource as a test writes it; `state` defaults to the inputs (what the engine reports after create). */
export interface TestResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    state?: Record<string, any>;
}

/** The URN the engine would give the resource on `stack`; policies read the stack name from it. */
export function urnOf(stack: string, resource: { type: string; name: string }): string {
    return `urn:pulumi:${stack}::serverless-pipelines::${resource.type}::${resource.name}`;
}

const noConfig = <T extends object>(): T => ({}) as T;

/** What `validateResource` receives for a resource: its inputs as props. */
function resourceArgs(stack: string, resource: TestResource): ResourceValidationArgs {
    return {
        type: resource.type,
        props: resource.inputs,
        urn: urnOf(stack, resource),
        name: resource.name,
        opts: {} as ResourceValidationArgs["opts"],
        stackTags: new Map(),
        getConfig: noConfig,
        isType: () => false,
        asType: () => undefined,
        notApplicable: (reason?: string): never => { throw new Error(`not applicable: ${reason}`); },
    };
}

/** What `validateStack` receives: every resource with its outputs as props. */
function stackArgs(stack: string, resources: TestResource[]): StackValidationArgs {
    const policyResources = resources.map(resource => ({
        type: resource.type,
        props: { ...resource.inputs, ...(resource.state ?? {}) },
        urn: urnOf(stack, resource),
        name: resource.name,
        opts: {},
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }) as unknown as PolicyResource);
    return {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: noConfig,
        notApplicable: (reason?: string): never => { throw new Error(`not applicable: ${reason}`); },
    };
}

/** Every violation message `policy` reports for `resources` deployed as `stack`. */
export async function violationsOf(policy: Policy, resources: (TestResource | RecordedResource)[], stack: string): Promise<string[]> {
    const violations: string[] = [];
    const report = (message: string) => { violations.push(`${policy.name}: ${message}`); };
    if ("validateStack" in policy) {
        await policy.validateStack(stackArgs(stack, resources), report);
        return violations;
    }
    const validations = [policy.validateResource ?? []].flat();
    for (const resource of resources) {
        for (const validate of validations) {
            await validate(resourceArgs(stack, resource), report);
        }
    }
    return violations;
}

/** Violations of the whole pack. */
export async function packViolations(resources: (TestResource | RecordedResource)[], stack: string): Promise<string[]> {
    const all = await Promise.all([...resourcePolicies, ...stackPolicies].map(policy => violationsOf(policy, resources, stack)));
    return all.flat();
}
