import * as pulumi from "@pulumi/pulumi";
import { RecordedResource } from "../../sandbox/mock-cloud";
import { PlainArchive, toPlain } from "../../sandbox/synth";
import { cloud } from "./setup";

/** The value of an Output under mocks. */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve => output.apply(value => resolve(value as T)));
}

/** Waits until every resource created so far has been registered with the mocks. */
export async function settle(): Promise<void> {
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
}

/** Resources registered in this process whose logical name starts with `prefix` (a component's name). */
export async function resourcesUnder(prefix: string): Promise<RecordedResource[]> {
    await settle();
    const matching = cloud.resources.filter(resource => resource.name === prefix || resource.name.startsWith(`${prefix}-`));
    return Promise.all(matching.map(async resource => ({ ...resource, inputs: await toPlain(resource.inputs), state: await toPlain(resource.state) })));
}

export function ofType(resources: RecordedResource[], type: string): RecordedResource[] {
    return resources.filter(resource => resource.type === type);
}

export function one(resources: RecordedResource[], type: string, predicate: (resource: RecordedResource) => boolean = () => true): RecordedResource {
    const found = ofType(resources, type).filter(predicate);
    if (found.length !== 1) {
        throw new Error(`expected one ${type}, found ${found.length}: ${found.map(resource => resource.name).join(", ")}`);
    }
    return found[0];
}

/** The archive a Function resource would upload. */
export function archiveOf(fn: RecordedResource): PlainArchive {
    const code = fn.inputs.code;
    if (!code?.$archive) {
        throw new Error(`${fn.name} has no archive`);
    }
    return code.$archive;
}

export interface IamStatement { Sid?: string; Effect: string; Action: string[]; Resource: string[] }

/** The inline policy statements of the role a function or state machine runs as. */
export function statementsOfRole(resources: RecordedResource[], roleArn: string): IamStatement[] {
    const role = resources.find(resource => resource.type === "aws:iam/role:Role" && resource.state.arn === roleArn);
    if (!role) {
        throw new Error(`no role ${roleArn}`);
    }
    return resources
        .filter(resource => resource.type === "aws:iam/rolePolicy:RolePolicy" && resource.inputs.role === role.id)
        .flatMap(resource => JSON.parse(resource.inputs.policy).Statement);
}
