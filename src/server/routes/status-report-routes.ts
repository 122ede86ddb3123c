import { z } from 'zod'
import { notFound } from '../../errors.js'
import { newId } from '../../ids.js'
import type { Runtime } from '../../runtime/index.js'
import { getInstance } from '../../store/instances.js'
import { insertStatusReport, listStatusReports } from '../../store/status-reports.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'

export const STATUS_VALUES = ['Succeeded', 'Failed', 'Cancelled', 'Running', 'Skipped'] as const

const statusReportOut = z
  .object({
    id: z.string(),
    instanceId: z.string(),
    runId: z.string().describe('The flow run this report belongs to'),
    flowName: z.string().nullable(),
    status: z.enum(STATUS_VALUES),
    message: z.string().nullable(),
    details: z.unknown(),
    createdAt: z.string(),
  })
  .describe('A status report sent by a flow')

export function registerStatusReportRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId/statusreports'
  app.post(
    base,
    {
      config: { scope: 'write' },
      // A report is a status, a message and a few details: not a place to store files.
      bodyLimit: 64 * 1024,
      schema: {
        summary: 'Send status report',
        description:
          "A flow reports how its run went: status, a message and any details (the whole body at most 64 KB: 413 beyond); stored with the run's id.",
        tags: ['status reports'],
        params: instanceParams,
        body: z.object({
          runId: z.string().min(1).max(200).describe("The flow run's id, e.g. workflow()['run']['name']"),
          flowName: z.string().max(200).optional(),
          status: z.enum(STATUS_VALUES),
          message: z.string().max(4000).optional(),
          details: z.unknown().optional(),
        }),
        response: { 201: statusReportOut, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { instanceId } = request.params
      if (!(await getInstance(runtime.db, instanceId))) throw notFound('Instance', instanceId)
      const report = await insertStatusReport(runtime.db, {
        id: newId(),
        instanceId,
        runId: request.body.runId,
        flowName: request.body.flowName ?? null,
        status: request.body.status,
        message: request.body.message ?? null,
        details: request.body.details ?? null,
        keyId: request.webUser ? null : (request.apiKey?.id ?? null),
      })
      void reply.status(201).header('location', `/api/v1/instances/${instanceId}/statusreports/${report.id}`)
      return report
    },
  )

  app.get(
    base,
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List status reports',
        description: 'Newest first; ?runId= gives the reports of one flow run in order.',
        tags: ['status reports'],
        params: instanceParams,
        querystring: z.object({
          runId: z.string().max(200).optional(),
          $top: z.coerce.number().int().min(1).max(200).default(100),
        }),
        response: { 200: z.object({ value: z.array(statusReportOut) }), ...errorResponses },
      },
    },
    async (request) => ({
      value: await listStatusReports(runtime.db, request.params.instanceId, {
        limit: request.query.$top,
        ...(request.query.runId ? { runId: request.query.runId } : {}),
      }),
    }),
  )
}
