export { ProjectionFailed, foldEvents, type Doc, type Projection } from './projection';
export { ProjectionRunner, type ProjectionRunnerOptions } from './projection-runner';
export {
  READ_MODEL_FILE_NAME,
  ReadModelStore,
  ReadModelUnavailable,
  openReadModelStore,
  type Checkpoint,
  type ProjectionChanges,
  type StoredDoc,
} from './read-model-store';
