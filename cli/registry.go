package cli

import (
	"github.com/fnprobe/fnprobe/providers"
	"github.com/fnprobe/fnprobe/providers/alicloud"
	"github.com/fnprobe/fnprobe/providers/aws"
	httpprovider "github.com/fnprobe/fnprobe/providers/http"
	"github.com/fnprobe/fnprobe/providers/huawei"
	"github.com/fnprobe/fnprobe/providers/local"
	"github.com/fnprobe/fnprobe/providers/tencent"
)

// NewRegistry returns a registry with every provider type fnprobe supports,
// each driver freshly constructed (drivers hold connection pools).
func NewRegistry() providers.Registry {
	return providers.Registry{
		"local":                     local.New(),
		"http":                      httpprovider.New(),
		"alicloud_fc2":              alicloud.NewFC2(),
		"alicloud_fc3":              alicloud.NewFC3(),
		"aws_lambda":                aws.New(),
		"tencent_cloudbase":         tencent.New(),
		"huaweicloud_functiongraph": huawei.New(),
	}
}
