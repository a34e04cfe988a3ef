import { describeHsmContract } from './hsm.contract';
import { startUnixServer } from './soft-hsm-runners';

describeHsmContract('soft HSM over a Unix socket (muxd)', startUnixServer);
