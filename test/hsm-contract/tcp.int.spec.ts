import { describeHsmContract } from './hsm.contract';
import { startTcpServer } from './soft-hsm-runners';

describeHsmContract('soft HSM over TCP', startTcpServer);
