import { describeHsmContract } from './hsm.contract';
import { startInProcess } from './soft-hsm-runners';

describeHsmContract('soft HSM in process', startInProcess);
