// How a handler finds the workspace an event is for: one per Lambda (from its environment), many locally.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Workspace } from '../core/workspace.js';

export type WorkspaceResolver = (event: APIGatewayProxyEvent) => Promise<Workspace | undefined>;
