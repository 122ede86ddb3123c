export { keyCondition } from './item-key.js'
export { isWritableColumnType, itemFieldsSchema, itemSchema } from './item-schema.js'
export { defineWritableEntity, type ItemStore, writeItem } from './writable-entities.js'
