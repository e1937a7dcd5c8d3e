package vsphere

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"
)

type moref = types.ManagedObjectReference

// Managed object types.
const (
	tVM        = "VirtualMachine"
	tHost      = "HostSystem"
	tCR        = "ComputeResource"
	tCluster   = "ClusterComputeResource"
	tDatastore = "Datastore"
	tNetwork   = "Network"
	tDVPG      = "DistributedVirtualPortgroup"
	tOpaque    = "OpaqueNetwork"
	tDVS       = "DistributedVirtualSwitch"
	tPool      = "ResourcePool"
	tVApp      = "VirtualApp"
	tFolder    = "Folder"
	tDC        = "Datacenter"
)

// Property paths read for each kind. Every path is read in bulk through a
// container view; nothing is fetched per object unless its bulk read came
// back incomplete.
var (
	vmProps = []string{
		"name", "parent", "parentVApp", "resourcePool",
		"runtime.host", "runtime.powerState",
		"config.uuid", "config.instanceUuid", "config.template",
		"config.hardware.numCPU", "config.hardware.memoryMB",
		"config.guestFullName", "config.guestId", "config.createDate",
		"summary.storage.committed", "config.hardware.device",
		"datastore", "network", "guest.ipAddress", "customValue",
	}
	hostProps = []string{
		"name", "parent", "summary.hardware", "summary.config.product",
		"runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode",
		"summary.quickStats.overallCpuUsage", "summary.quickStats.overallMemoryUsage",
	}
	crProps      = []string{"name", "parent", "resourcePool", "summary.numHosts", "summary.totalCpu", "summary.totalMemory"}
	clusterProps = []string{"configurationEx"}
	dsProps      = []string{"name", "parent", "summary", "host"}
	netProps     = []string{"name", "parent"}
	dvpgProps    = []string{"config.distributedVirtualSwitch", "config.defaultPortConfig"}
	dvsProps     = []string{"name"}
	poolProps    = []string{"name", "parent", "owner", "config.cpuAllocation.limit", "config.memoryAllocation.limit"}
	vappProps    = []string{"parentFolder"}
	folderProps  = []string{"name", "parent"}
)

// Detail property paths (State.Details), read in the same bulk retrieval
// unless Options.DisableDetails. A fault on one of these paths
// (ObjectContent.missingSet) is logged and leaves the value empty; only
// the paths above fail the retrieval. config.hardware.device, the
// datastore summary, the cluster configurationEx and the folders are
// read for the core inventory already and serve the detail too.
var (
	vmDetailProps = []string{
		"config.version", "config.firmware", "config.annotation",
		"guest.hostName", "guest.net", "guest.guestState", "guest.guestFullName",
		"guestHeartbeatStatus", "overallStatus", "configStatus",
		"runtime.connectionState", "runtime.consolidationNeeded", "runtime.bootTime",
		"guest.toolsRunningStatus", "guest.toolsVersionStatus2", "guest.toolsVersion",
		"config.tools.toolsUpgradePolicy", "config.hardware.numCoresPerSocket",
		"config.cpuAllocation", "config.memoryAllocation",
		"config.cpuHotAddEnabled", "config.cpuHotRemoveEnabled", "config.memoryHotAddEnabled",
		"config.files.vmPathName", "snapshot", "guest.disk",
	}
	// vmLayoutProps are read in a second bulk read, only for the VMs that
	// have snapshots (for the snapshot files and sizes): the file layout of
	// every VM would add about a third to the detail's cost.
	vmLayoutProps   = []string{"layoutEx"}
	hostDetailProps = []string{
		"runtime.bootTime", "overallStatus", "triggeredAlarmState",
		"config.hyperThread.active", "config.network.pnic", "config.network.vswitch",
		"config.network.portgroup", "config.network.dnsConfig",
		"config.storageDevice.hostBusAdapter", "config.dateTimeInfo.ntpConfig.server",
	}
	// The whole summary: currentEVCModeKey and the effective figures are
	// ClusterComputeResourceSummary fields, not paths of the declared
	// ComputeResourceSummary.
	clusterDetailProps = []string{"summary", "overallStatus"}
	dsDetailProps      = []string{"info", "overallStatus", "vm"}
	dvpgDetailProps    = []string{"key"}
	// The whole config: maxMtu is a VMwareDVSConfigInfo field.
	dvsDetailProps = []string{"parent", "summary", "config"}
)

// detailPaths lists the detail paths of each property spec type.
var detailPaths = map[string][]string{
	tVM: slices.Concat(vmDetailProps, vmLayoutProps), tHost: hostDetailProps, tCluster: clusterDetailProps,
	tDatastore: dsDetailProps, tDVPG: dvpgDetailProps, tDVS: dvsDetailProps,
}

// isDetailPath reports whether path is a detail path of objects of type t
// (a VmwareDistributedVirtualSwitch is a DistributedVirtualSwitch).
func isDetailPath(t, path string) bool {
	if strings.HasSuffix(t, tDVS) {
		t = tDVS
	}
	return slices.Contains(detailPaths[t], path)
}

// Value conversions. Property values arrive as the XML decoder built them:
// usually values, sometimes pointers; enums are named string types.

func asString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case *string:
		if x != nil {
			return *x
		}
		return ""
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.String {
		return rv.String()
	}
	return ""
}

func asRef(v any) moref {
	switch x := v.(type) {
	case moref:
		return x
	case *moref:
		if x != nil {
			return *x
		}
	}
	return moref{}
}

func asRefs(v any) []moref {
	switch x := v.(type) {
	case types.ArrayOfManagedObjectReference:
		return x.ManagedObjectReference
	case *types.ArrayOfManagedObjectReference:
		if x != nil {
			return x.ManagedObjectReference
		}
	case []moref:
		return x
	}
	return nil
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int16:
		return int64(x), true
	case *int32:
		if x != nil {
			return int64(*x), true
		}
	case *int64:
		if x != nil {
			return *x, true
		}
	}
	return 0, false
}

func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case *bool:
		return x != nil && *x
	}
	return false
}

func asTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case *time.Time:
		if x != nil {
			return x.UTC()
		}
	}
	return time.Time{}
}

// formatValue renders an extra property value as text.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case *time.Time:
		if x == nil {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	case moref:
		return x.Value
	case *moref:
		if x == nil {
			return ""
		}
		return x.Value
	}
	if n, ok := asInt64(v); ok {
		return strconv.FormatInt(n, 10)
	}
	if s := asString(v); s != "" {
		return s
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64)
	}
	if refs := asRefs(v); refs != nil {
		ids := make([]string, len(refs))
		for i, r := range refs {
			ids[i] = r.Value
		}
		return strings.Join(ids, ",")
	}
	// ArrayOf* wrappers: render the wrapped slice.
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct && rv.NumField() == 1 && strings.HasPrefix(rv.Type().Name(), "ArrayOf") {
		v = rv.Field(0).Interface()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// faultName names a missing property's fault for error messages.
func faultName(m types.MissingProperty) string {
	f := m.Fault.Fault
	name := "unknown fault"
	if f != nil {
		t := reflect.TypeOf(f)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name = t.Name()
	}
	if msg := m.Fault.LocalizedMessage; msg != "" {
		name += " (" + msg + ")"
	}
	return m.Path + ": " + name
}
