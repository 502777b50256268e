// How a handler finds the workspace an event is for: one per Lambda (from its environment), many locally.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Workspace } from '../core/workspace.js';

export type WorkspaceResolver = (event: APIGatewayProxyEvent) => Promise<Workspace | undefined>;

let resolver: WorkspaceResolver | undefined;

/** Installs the resolver; the local server and tests call this, a deployed Lambda uses its environment. */
export function setWorkspaceResolver(next: WorkspaceResolver): void {
  resolver = next;
}

export async function resolveWorkspace(event: APIGatewayProxyEvent): Promise<Workspace | undefined> {
  let current = resolver;
  if (!current) {
    const { environmentResolver } = await import('./environment.js');
    current = resolver = environmentResolver();
  }
  return current(event);
}
