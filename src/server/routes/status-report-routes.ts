import { z } from 'zod'
import { SendStatusReport, statusReportOut } from '../../connector/operations/index.js'
import { notFound } from '../../errors.js'
import { newId } from '../../ids.js'
import type { Runtime } from '../../runtime/index.js'
import { getInstance } from '../../store/instances.js'
import { insertStatusReport, listStatusReports } from '../../store/status-reports.js'
import { type ApiApp, errorResponses, instanceParams } from '../api-types.js'
import { routeOf } from '../route-of.js'

export function registerStatusReportRoutes(app: ApiApp, runtime: Runtime): void {
  const base = '/api/v1/instances/:instanceId/statusreports'
  app.route({
    ...routeOf(SendStatusReport),
    // A report is a status, a message and a few details: not a place to store files.
    bodyLimit: 64 * 1024,
    handler: async (request, reply) => {
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
  })

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
