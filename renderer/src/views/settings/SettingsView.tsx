import type { AppInfo, RigSnapshot } from '../../../../shared/api/contract';
import type { Loadable } from '../../app/studioContext';
import { useRigStatus } from '../../live/useLiveStatus';
import { ButtonMapping } from './ButtonMapping';
import { DeviceList } from './DeviceList';
import { DiscoveredDevices } from './DiscoveredDevices';
import { RigEditor } from './RigEditor';
import { RigOverview } from './RigOverview';

export function SettingsView({ info, rig }: { info: Loadable<AppInfo>; rig: Loadable<RigSnapshot> }) {
  const status = useRigStatus();
  return (
    <div className="settings-view">
      <RigOverview info={info} rig={rig} />
      {rig.state === 'ready' && (
        <div className="grid">
          <DeviceList rig={rig.value.config} status={status} />
          <ButtonMapping rig={rig.value.config} />
          <DiscoveredDevices />
        </div>
      )}
      {rig.state === 'ready' && <RigEditor snapshot={rig.value} />}
    </div>
  );
}
