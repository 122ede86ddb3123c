import { describe, expect, it } from 'vitest'
import { flowDefinitionSchema } from '../definition/flow-definition.js'
import { hideSecure, readsSecrets, secureActions } from './secure-actions.js'

describe('secure actions', () => {
  const definition = flowDefinitionSchema.parse({
    trigger: { type: 'unify.completed', parameters: {} },
    actions: {
      Token: { type: 'compose', inputs: "@base64(secret('pager'))" },
      Lower: { type: 'compose', inputs: "@{toLower(secret('pager'))}", runAfter: { Token: ['Succeeded'] } },
      Uses: {
        type: 'compose',
        inputs: "@concat('Bearer ', outputs('Token'))",
        runAfter: { Lower: ['Succeeded'] },
      },
      Then: { type: 'compose', inputs: "@body('Uses')", runAfter: { Uses: ['Succeeded'] } },
      Plain: { type: 'compose', inputs: "@triggerBody()?['x']" },
      Marked: {
        type: 'compose',
        inputs: 'visible',
        runtimeConfiguration: { secureData: { properties: ['outputs'] } },
      },
      Post: {
        type: 'teams.postMessage',
        inputs: { webhookUrl: "@secret('teams')", text: "@triggerBody()?['x']" },
      },
      Call: {
        type: 'http',
        inputs: { method: 'POST', uri: 'https://api.example.com/token', body: { key: "@secret('api')" } },
      },
      Each: {
        type: 'foreach',
        foreach: "@triggerBody()?['items']",
        actions: { Inner: { type: 'compose', inputs: "@json(secret('cfg'))?['password']" } },
      },
    },
  })

  it('secures what reads a secret, what the maker marks, and what uses a secure action’s outputs', () => {
    const secure = secureActions(definition.actions)
    expect(Object.fromEntries(secure)).toEqual({
      Token: { inputs: true, outputs: true },
      Lower: { inputs: true, outputs: true },
      Uses: { inputs: true, outputs: true },
      Then: { inputs: true, outputs: true },
      Marked: { inputs: false, outputs: true },
      // Only the field that reads the secret; a Teams webhook's answer is an acknowledgment.
      Post: { inputs: false, inputFields: ['webhookUrl'], outputs: false },
      // What a call made with a secret answers may be secret too.
      Call: { inputs: false, inputFields: ['body'], outputs: true },
      Inner: { inputs: true, outputs: true },
    })
  })

  it('shows a stored secure value as hidden', () => {
    expect(hideSecure({ $secure: 'v1.abc' })).toEqual({
      $secure: true,
      message: 'Content not shown due to security configuration.',
    })
    expect(hideSecure({ other: 1 })).toEqual({ other: 1 })
    expect(hideSecure({ webhookUrl: { $secure: 'v1.abc' }, text: 'shown' })).toEqual({
      webhookUrl: { $secure: true, message: 'Content not shown due to security configuration.' },
      text: 'shown',
    })
  })
})

describe('whether a run opens the instance secrets', () => {
  const needs = (actions: Record<string, unknown>) =>
    readsSecrets(
      flowDefinitionSchema.parse({
        trigger: { type: 'unify.completed' },
        actions,
      }),
    )

  it('opens them only for definitions that read secret() somewhere or send email', () => {
    expect(needs({ A: { type: 'compose', inputs: "@triggerBody()?['x']" } })).toBe(false)
    expect(needs({ A: { type: 'compose', inputs: 'no secrets here' } })).toBe(false)
    expect(needs({ A: { type: 'compose', inputs: "@base64(secret('k'))" } })).toBe(true)
    expect(
      needs({
        Loop: {
          type: 'foreach',
          foreach: "@triggerBody()?['items']",
          actions: {
            If: {
              type: 'condition',
              expression: '@true',
              actions: {},
              else: { actions: { Deep: { type: 'compose', inputs: "@secret('deep')" } } },
            },
          },
        },
      }),
    ).toBe(true)
    expect(
      needs({ Mail: { type: 'email.send', inputs: { to: 'a@example.com', subject: 's', body: 'b' } } }),
    ).toBe(true)
    // A description is no expression.
    expect(
      readsSecrets(
        flowDefinitionSchema.parse({
          description: "posts without secret('x')",
          trigger: { type: 'unify.completed' },
          actions: { A: { type: 'compose', inputs: 'x' } },
        }),
      ),
    ).toBe(false)
  })
})
